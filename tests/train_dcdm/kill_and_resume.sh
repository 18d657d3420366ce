#!/bin/sh
# kill_and_resume.sh <train_dcdm> <check_model> <reference model> <train_dcdm arguments...>
# Starts train_dcdm --out killed.pt in the background, kills it with SIGKILL as soon as its first
# checkpoint exists (wherever it is then: training, or writing the next checkpoint), resumes it
# with --resume, and checks that the final parameters equal the reference model's bit for bit.
set -u
train=$1 check=$2 reference=$3
shift 3
rm -f killed.pt killed.pt.ckpt killed.csv
"$train" "$@" --out killed.pt --log killed.csv --quiet &
pid=$!
i=0
while [ ! -f killed.pt.ckpt ] && [ $i -lt 1200 ]; do
  sleep 0.05
  i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid
status=$?
if [ -f killed.pt ]; then
  echo "the run finished before it could be killed (exit $status); resuming a finished run"
else
  echo "killed (exit $status) after $(($(wc -l < killed.csv) - 1)) epochs"
fi
ls -a | grep -q '\.killed\.pt\.ckpt\.tmp' && echo "(a temporary checkpoint file was left behind)"
"$train" "$@" --out killed.pt --log killed.csv --resume || exit 1
"$check" same "$reference" killed.pt 0 || exit 1
"$check" same-log full.csv killed.csv
