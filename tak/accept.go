package tak

import "syscall"

// errTooManyFiles is the accept error of a process out of file descriptors, which passes
// once connections close.
var errTooManyFiles = syscall.EMFILE
