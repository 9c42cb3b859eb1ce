# CUDA is optional at build time. When nvcc is found (on PATH or where the
# toolkit installs it), .cu files in each library folder compile and the
# libraries link the CUDA runtime (cuBLAS and NCCL are loaded at run time:
# kernels/cublas_lazy.cpp, real/nccl_lazy.h);
# PARALAB_HAVE_CUDA is defined for C++ code.
# Tests that need a device skip at run time when none is present.
set(PARALAB_HAVE_CUDA OFF)
option(PARALAB_CUDA "Build CUDA sources when nvcc is found" ON)
if(PARALAB_CUDA)
  find_program(PARALAB_NVCC nvcc HINTS ENV CUDA_HOME PATHS /usr/local/cuda/bin /usr/local/cuda-13.0/bin /opt/cuda/bin)
  if(PARALAB_NVCC)
    set(CMAKE_CUDA_COMPILER ${PARALAB_NVCC})
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
      # Before enable_language: otherwise CMake caches nvcc's own default
      # (sm_75 for CUDA 13), which the check below does not recognise.
      set(CMAKE_CUDA_ARCHITECTURES 80 86 90)
    endif()
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
      enable_language(CUDA)
      find_package(CUDAToolkit REQUIRED)
      if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "52")
        # Ampere (A100, RTX 30xx), Ada (L4/RTX 40xx), Hopper (H100/H200).
        set(CMAKE_CUDA_ARCHITECTURES 80 86 90)
      endif()
      if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
        # CMake <= 3.25 knows no C++20 flag for nvcc (generation fails with
        # "requires the language dialect CUDA20"): tell it.
        set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
        set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
      endif()
      set(CMAKE_CUDA_STANDARD 20)
      # NCCL: only its header at build time; the library is loaded with
      # dlopen on first use (real/nccl_lazy.h), so binaries start on machines
      # without it and real/gpu_bundle.sh need not carry it.
      find_path(PARALAB_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include)
      set(PARALAB_HAVE_CUDA ON)
      message(STATUS "paralab: CUDA ${CUDAToolkit_VERSION} at ${PARALAB_NVCC}; NCCL header: ${PARALAB_NCCL_INCLUDE}")
    endif()
  endif()
endif()
if(NOT PARALAB_HAVE_CUDA)
  message(STATUS "paralab: nvcc not found, building without CUDA")
endif()

function(paralab_cuda_link target)
  target_compile_definitions(${target} PUBLIC PARALAB_HAVE_CUDA=1)
  # cuBLAS: headers only; the library is loaded with dlopen on first use
  # (kernels/cublas_lazy.cpp), so `paralab --help` or a simulation does not
  # map its 210 MB. The toolkit folder is the fallback place to look.
  target_link_libraries(${target} PUBLIC CUDA::cudart ${CMAKE_DL_LIBS})
  set_source_files_properties(${CMAKE_SOURCE_DIR}/kernels/cublas_lazy.cpp PROPERTIES
    COMPILE_DEFINITIONS PARALAB_CUDA_LIBRARY_DIR="${CUDAToolkit_LIBRARY_DIR}")
  if(PARALAB_NCCL_INCLUDE)
    target_include_directories(${target} PUBLIC ${PARALAB_NCCL_INCLUDE})
    target_link_libraries(${target} PUBLIC ${CMAKE_DL_LIBS})
    target_compile_definitions(${target} PUBLIC PARALAB_HAVE_NCCL=1)
  endif()
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
endfunction()
