// SPDX-License-Identifier: Apache-2.0
//
// The C++ trainer's Quantum Mantissa gradients on a fixed batch, for the Python test
// (python/tests/test_torch.py) to compare with sfp.torch bit for bit.
//
//   qm_grad_ref X.npy W.npy G.npy N ROUND OUT_DIR
//
// x [B, D], w [O, D], g [B, O] float32; N the bitlength, ROUND trunc|rne. Runs on one thread:
//   xq = quantize_qm(x, n, 23, ROUND); y = linear(xq, w); loss = sum(y * g); loss.backward()
// and writes OUT_DIR/{xq,dx,dw,dn}.npy.
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "sfp/io/file.hpp"
#include "sfp/io/npy.hpp"
#include "sfp/train/quant.hpp"

namespace {

torch::Tensor load(const std::string& path) {
  const std::vector<uint8_t> bytes = sfp::io::read_file(path);
  const sfp::io::TensorFile f = sfp::io::parse_npy(bytes.data(), bytes.size());
  const sfp::io::Tensor& t = f.tensors.at(0);
  std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
  torch::Tensor out = torch::empty(shape, torch::kFloat32);
  std::memcpy(out.data_ptr<float>(), t.values.data(), t.values.size() * sizeof(float));
  return out;
}

void save(const std::string& path, const torch::Tensor& x) {
  const torch::Tensor c = x.detach().contiguous();
  sfp::io::TensorFile f;
  f.kind = sfp::io::SourceKind::kNpyF32;
  f.metadata = {{"fortran_order", "false"}};
  sfp::io::Tensor t;
  t.name = "array";
  for (int64_t d : c.sizes()) t.shape.push_back(static_cast<uint64_t>(d));
  t.values.resize(static_cast<size_t>(c.numel()));
  std::memcpy(t.values.data(), c.data_ptr<float>(), t.values.size() * sizeof(float));
  f.tensors.push_back(std::move(t));
  sfp::io::write_file_atomic(path, sfp::io::write_npy(f));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: qm_grad_ref X.npy W.npy G.npy N trunc|rne OUT_DIR\n");
    return 2;
  }
  try {
    at::set_num_threads(1);
    torch::Tensor x = load(argv[1]).requires_grad_(true);
    torch::Tensor w = load(argv[2]).requires_grad_(true);
    const torch::Tensor g = load(argv[3]);
    torch::Tensor n = torch::tensor(static_cast<float>(std::stod(argv[4]))).requires_grad_(true);
    const std::string round = argv[5];
    const auto r = round == "rne" ? sfp::Rounding::kNearestEven : sfp::Rounding::kTruncate;
    const torch::Tensor xq = sfp::train::quantize_qm(x, n, 23, r);
    const torch::Tensor y = torch::nn::functional::linear(xq, w);
    (y * g).sum().backward();
    const std::string out = argv[6];
    save(out + "/xq.npy", xq);
    save(out + "/dx.npy", x.grad());
    save(out + "/dw.npy", w.grad());
    save(out + "/dn.npy", n.grad().reshape({1}));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qm_grad_ref: %s\n", e.what());
    return 1;
  }
  return 0;
}
