// Readers of the original data set files: IDX (MNIST, Fashion-MNIST; gzipped or not) and the
// CIFAR-10 binary batches. Torch-free; errors name the file and what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace axnn::data {

// An IDX array of unsigned bytes: dims from the header, data in row-major order.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Reads an IDX file of unsigned bytes (type 0x08), gzipped or not. Throws InputError on a missing
// file, a wrong magic number or type, or data shorter than the header says.
IdxArray read_idx(const std::string& path);

// Images N x C x H x W (uint8) and labels.
struct Split {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<uint8_t> images;
  std::vector<int32_t> labels;
};

// MNIST-style folder: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Checks counts and labels.
void read_mnist_folder(const std::string& folder, int num_classes, Split& train, Split& test,
                       std::vector<std::string>& files);

// CIFAR-10 binary folder (cifar-10-batches-bin): data_batch_1..5.bin, test_batch.bin, each a list
// of 3073-byte records (label, 1024 R, 1024 G, 1024 B); class names from batches.meta.txt if present.
void read_cifar10_folder(const std::string& folder, Split& train, Split& test, std::vector<std::string>& class_names,
                         std::vector<std::string>& files);

}  // namespace axnn::data
