#include "real/check.h"

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

namespace paralab::real {

void throw_call_error(const char* file, int line, const char* call, const std::string& what) {
  std::string f = file;
  auto pos = f.find("/real/");
  if (pos != std::string::npos) f = f.substr(pos + 1);
  throw RealError(f + ":" + std::to_string(line) + ": " + call + ": " + what);
}

std::string mpi_error_string(int code) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(buf, len);
}

}  // namespace paralab::real
