// The target's code is the inline function in include/CMemoryHints.h; SwiftPM needs one source file.
#include "CMemoryHints.h"
