// LIBSVM / svmlight files (Chang & Lin, LIBSVM; Joachims, SVMlight): how sparse regression and
// classification data sets are distributed (the LIBSVM data sets page, e.g. E2006-tfidf, rcv1).
//
// One sample per line: "<label> [qid:<n>] <index>:<value> <index>:<value> ...", indices 1-based
// and strictly increasing within a line, blanks or tabs between fields. "#" starts a comment that
// runs to the end of the line; blank and comment-only lines are skipped; CRLF line ends are
// accepted. "qid:" (svmlight's query id) is read and ignored.
//
// The result has one row per sample (X is n x p, compressed by column as the coordinate solvers
// read it) and the labels as y. The column count is the largest index seen, or `num_features`
// when it is given (an index above it is then an error; a file with fewer features keeps the
// given width, so that a training and a test file agree).
//
// Every defect of a file is a std::runtime_error "<path>:<line>: <what is wrong>": a label or a
// value that is not a number or not finite, a field without ':', an index that is not a positive
// integer, not above the previous one on its line, or above num_features. A file that cannot be
// opened, is not a regular file or holds no sample is a std::runtime_error "<path>: ...".
#pragma once

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <string>

namespace deepsolve::solvers {

struct LibsvmData {
  Eigen::SparseMatrix<double> X;  // n samples x p features, column-compressed
  Eigen::VectorXd y;              // the n labels
};

/// Reads a LIBSVM / svmlight file; `num_features` 0 takes the width from the file.
LibsvmData read_libsvm(const std::string& path, Eigen::Index num_features = 0);

}  // namespace deepsolve::solvers
