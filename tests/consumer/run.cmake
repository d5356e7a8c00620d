# CTest test consumer:find_package (see tests/CMakeLists.txt), run as
#   cmake -DSOURCE_DIR=<ratchet source> -DBINARY_DIR=<ratchet build> -DWORK_DIR=<scratch>
#         -DCMAKE_BUILD_TYPE=<type> -P tests/consumer/run.cmake
# Installs the built ratchet into WORK_DIR/prefix, then configures, builds and runs the
# downstream project tests/consumer against that prefix with find_package(ratchet). Any
# failing step is a FATAL_ERROR, which fails the test.
cmake_minimum_required(VERSION 3.25)

foreach(var SOURCE_DIR BINARY_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "consumer: -D${var}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)

# Runs one step; stops the test with its output when the step fails.
function(step name)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "consumer: ${name}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result STREQUAL "0")
    message(FATAL_ERROR "consumer: ${name} failed (${result}): ${shown}")
  endif()
endfunction()

# Build the consumer the way ratchet itself was built: same generator, compiler, launcher,
# and sanitizers (an instrumented libratchet.a needs the sanitizer runtime at link time).
function(main_cache name out)
  file(STRINGS ${BINARY_DIR}/CMakeCache.txt line REGEX "^${name}:[A-Z]+=" LIMIT_COUNT 1)
  string(REGEX REPLACE "^[^=]*=" "" value "${line}")
  set(${out} "${value}" PARENT_SCOPE)
endfunction()
if(NOT EXISTS ${BINARY_DIR}/CMakeCache.txt)
  message(FATAL_ERROR "consumer: ${BINARY_DIR} is not a configured ratchet build")
endif()
main_cache(CMAKE_GENERATOR generator)
main_cache(CMAKE_MAKE_PROGRAM make_program)
main_cache(CMAKE_CXX_COMPILER cxx)
main_cache(CMAKE_CXX_COMPILER_LAUNCHER launcher)
main_cache(RATCHET_SANITIZE sanitize)

set(configure_args
  -S ${SOURCE_DIR}/tests/consumer -B ${build}
  -DCMAKE_PREFIX_PATH=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE})
if(generator)
  list(APPEND configure_args -G ${generator})
endif()
if(make_program)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${make_program})
endif()
if(cxx)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${cxx})
endif()
if(launcher)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER_LAUNCHER=${launcher})
endif()
if(sanitize)
  list(APPEND configure_args
    "-DCMAKE_CXX_FLAGS=-fsanitize=${sanitize} -fno-omit-frame-pointer"
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${sanitize}")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(config_args)
if(CMAKE_BUILD_TYPE)
  set(config_args --config ${CMAKE_BUILD_TYPE})
endif()

step(install ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix} ${config_args})
foreach(file include/ratchet/ratchet.hpp)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "consumer: the install has no ${file}")
  endif()
endforeach()

step(configure ${CMAKE_COMMAND} ${configure_args})
# find_package must have found the install under the prefix, not some other ratchet.
file(STRINGS ${build}/CMakeCache.txt found REGEX "^ratchet_DIR:")
string(REGEX REPLACE "^[^=]*=" "" found "${found}")
file(REAL_PATH "${prefix}" real_prefix)
if(EXISTS "${found}")
  file(REAL_PATH "${found}" found)
endif()
string(FIND "${found}" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "consumer: find_package(ratchet) used '${found}', not the install in ${prefix}")
endif()

step(build ${CMAKE_COMMAND} --build ${build} ${config_args})

set(program ${build}/consumer)
if(NOT EXISTS ${program} AND CMAKE_BUILD_TYPE)
  set(program ${build}/${CMAKE_BUILD_TYPE}/consumer)  # multi-config generators
endif()
step(run ${program})
message(STATUS "consumer: ok")
