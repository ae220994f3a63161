// SPDX-License-Identifier: Apache-2.0
//
// Fashion-MNIST files: the gzipped IDX files are unzipped once into a cache folder, where
// libtorch's MNIST reader finds them. Internal to the trainer.
#pragma once

#include <string>

namespace sfp::train {

// Ensures out_dir holds the four unzipped IDX files (train/t10k images/labels), unzipping them
// from gz_dir (NAME.gz) when missing; an unzipped NAME in gz_dir is copied as is. Throws
// std::runtime_error naming the missing or unreadable file.
void prepare_fashion_mnist(const std::string& gz_dir, const std::string& out_dir);

}  // namespace sfp::train
