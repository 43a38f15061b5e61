// Input, the first stage: codecs (codec.hpp), mapped lines (mapped_lines.hpp) and the line
// reader that yields an input's lines (line_reader.hpp).
#pragma once

#include "logsift/input/codec.hpp"
#include "logsift/input/line_reader.hpp"
#include "logsift/input/mapped_lines.hpp"
