#include "container_source.h"
