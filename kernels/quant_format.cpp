#include "kernels/quant_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "core/error.h"

namespace paralab::kernels {

std::string QuantFormat::name() const {
  if (kind == QuantKind::kRtn) return fmt::format("rtn-b{}-g{}", bits, group);
  return fmt::format("lcq-r{}-b{}-g{}{}", rank, bits, group, double_quant ? "-dq" : "");
}

std::vector<std::string> quant_format_names() {
  std::vector<std::string> out;
  for (int b : {2, 3, 4, 8})
    for (int g : {64, 128}) out.push_back(QuantFormat{QuantKind::kRtn, b, g, 1, false}.name());
  for (int k : {1, 2, 4})
    for (int b : {2, 3, 4})
      for (int g : {64, 128})
        for (bool dq : {false, true}) out.push_back(QuantFormat{QuantKind::kLcq, b, g, k, dq}.name());
  return out;
}

QuantFormat parse_quant_format(const std::string& name) {
  static const std::regex re(R"(^(rtn|lcq-r(\d+))-b(\d+)(-g(\d+))?(-dq)?$)");
  std::smatch m;
  if (std::regex_match(name, m, re)) {
    QuantFormat f;
    f.kind = m[1].str() == "rtn" ? QuantKind::kRtn : QuantKind::kLcq;
    f.rank = f.kind == QuantKind::kLcq ? std::stoi(m[2].str()) : 1;
    f.bits = std::stoi(m[3].str());
    f.group = m[5].matched ? std::stoi(m[5].str()) : 128;
    f.double_quant = m[6].matched;
    for (const auto& n : quant_format_names())
      if (n == f.name()) return f;
  }
  throw InputError(fmt::format("unknown quantization format '{}'; valid formats are: {}", name,
                               join_names(quant_format_names())));
}

void check_quant_shape(const QuantFormat& f, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0)
    throw InputError(fmt::format("shape {}x{}: rows and columns must be positive", rows, cols));
  if (cols % f.group != 0)
    throw InputError(fmt::format("format {}: group size {} does not divide the row length {} (shape {}x{})",
                                 f.name(), f.group, cols, rows, cols));
}

int64_t layer_bits(const QuantFormat& f, int64_t rows, int64_t cols) {
  int64_t n = rows * cols;
  int64_t groups = n / f.group;
  int64_t bits = n * f.bits;
  if (f.kind == QuantKind::kRtn) return bits + groups * 32;
  int64_t basis = int64_t{16} * f.rank * f.levels();
  if (!f.double_quant) return bits + groups * (16 * f.rank + 16) + basis;
  int64_t blocks = (groups + kDqBlockGroups - 1) / kDqBlockGroups;
  return bits + groups * (8 * f.rank + 16) + int64_t{16} * f.rank * blocks + basis;
}

double bits_per_weight(const QuantFormat& f, int64_t rows, int64_t cols) {
  return static_cast<double>(layer_bits(f, rows, cols)) / static_cast<double>(rows * cols);
}

int64_t layer_bytes(const QuantFormat& f, int64_t rows, int64_t cols) {
  return (layer_bits(f, rows, cols) + 7) / 8;
}

int rotation_copies(int64_t cache_bytes, int64_t matrix_bytes, int factor) {
  if (matrix_bytes <= 0) return 2;
  const int64_t need = int64_t(factor) * std::max<int64_t>(cache_bytes, 0);
  return int(std::max<int64_t>(2, (need + matrix_bytes - 1) / matrix_bytes));
}

}  // namespace paralab::kernels
