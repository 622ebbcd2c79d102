# Helpers that give every robustlab target the same flags, so the torch PCH can be reused.
# The PCH (<torch/torch.h>, ~600 MB) costs a few seconds to load, so only targets whose sources
# use LibTorch's frontend take it (option TORCH); the others compile without it.

function(robustlab_setup_target target)
  # -Wno-stringop-overflow/-array-bounds/-restrict: GCC 12 false positives inside libstdc++;
  # -Wno-missing-field-initializers: options structs are filled with designated initializers.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-stringop-overflow
                                           -Wno-array-bounds -Wno-restrict -Wno-missing-field-initializers -Winvalid-pch)
  target_compile_definitions(${target} PRIVATE _GLIBCXX_USE_CXX11_ABI=1)
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endfunction()

function(robustlab_use_torch_pch target)
  target_link_libraries(${target} PRIVATE ${TORCH_LIBRARIES})
  target_precompile_headers(${target} REUSE_FROM robustlab_pch)
endfunction()

# robustlab_add_module(name [TORCH] SOURCES ... PUBLIC_LIBS ... PRIVATE_LIBS ...) -> robustlab_<name>
function(robustlab_add_module name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(target robustlab_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  robustlab_setup_target(${target})
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  if(ARG_TORCH)
    robustlab_use_torch_pch(${target})
  endif()
  add_library(robustlab::${name} ALIAS ${target})
endfunction()

# robustlab_add_executable(name [TORCH] SOURCES ... LIBS ...): programs (CLI, tests, benches).
function(robustlab_add_executable name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  robustlab_setup_target(${name})
  # The shared PCH is compiled -fPIC (the libraries go into the Python extension); GCC refuses a
  # PCH built with other PIC/PIE settings, so programs compile -fPIC too instead of -fPIE.
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_compile_options(${name} PRIVATE -fPIC)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  if(ARG_TORCH)
    robustlab_use_torch_pch(${name})
  endif()
endfunction()
