// SPDX-License-Identifier: Apache-2.0
//
// Small file helpers of the trainer: every output file is written to a temporary name in the
// same folder and renamed into place, so a failure never leaves a half-written file.
#pragma once

#include <fstream>
#include <functional>
#include <string>

namespace sfp::train {

// Calls write(out) on a stream opened on "<path>.tmp.<pid>", then renames it to path. Throws
// std::runtime_error naming the file on any failure (the temporary file is removed).
void write_file_atomic(const std::string& path, const std::function<void(std::ofstream&)>& write);
void write_text_atomic(const std::string& path, const std::string& text);

}  // namespace sfp::train
