// The wrappers are inline in include/CProfilesEpoll.h; SwiftPM wants a source file.
#include "CProfilesEpoll.h"
