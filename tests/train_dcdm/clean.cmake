# cmake -DDIR=<folder> -P clean.cmake: empties <folder> (creating it if needed).
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
