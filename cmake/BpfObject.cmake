# SPDX-License-Identifier: GPL-2.0-only
#
# bpf_skeleton(TARGET NAME SOURCES a.bpf.c ... HEADERS h ...)
#
# Compiles each a.bpf.c for the BPF target (CO-RE, against vmlinux.h), links
# the objects into NAME.bpf.o with `bpftool gen object` and generates
# NAME.skel.h with `bpftool gen skeleton`. TARGET is an interface library that
# puts the skeleton and bpf/ on the include path, as libbpf-bootstrap does.
#
# vmlinux.h: EBPFLOW_VMLINUX_H names one to use; otherwise it is generated when
# the build is configured, from the build host's BTF (/sys/kernel/btf/vmlinux). CO-RE
# relocations make the programs run on other kernels with BTF.

find_program(CLANG_EXE NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL_EXE NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(EBPFLOW_VMLINUX_H "" CACHE FILEPATH "vmlinux.h to build against (default: generate from /sys/kernel/btf/vmlinux)")
set(EBPFLOW_BTF_FILE "/sys/kernel/btf/vmlinux" CACHE FILEPATH "BTF used to generate vmlinux.h")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

if(EBPFLOW_VMLINUX_H)
  configure_file(${EBPFLOW_VMLINUX_H} ${BPF_GEN_DIR}/vmlinux.h COPYONLY)
elseif(CMAKE_CROSSCOMPILING)
  # the build host's BTF describes its own architecture (x86's pt_regs, for
  # one): the programs would not build, or read the wrong registers
  message(FATAL_ERROR "Cross-compiling for ${CMAKE_SYSTEM_PROCESSOR}: pass "
    "-DEBPFLOW_VMLINUX_H=/path/to/vmlinux.h made from a ${BPF_TARGET_ARCH} kernel's BTF "
    "(tests/vm/arm64.py vmlinux prints an arm64 kernel's); this host's describes its own architecture.")
elseif(NOT EXISTS ${EBPFLOW_BTF_FILE})
  message(FATAL_ERROR "No BTF at ${EBPFLOW_BTF_FILE}: this kernel was built without "
    "CONFIG_DEBUG_INFO_BTF. Pass -DEBPFLOW_VMLINUX_H=/path/to/vmlinux.h made on a host with BTF.")
elseif(NOT EXISTS ${BPF_GEN_DIR}/vmlinux.h)
  # Made when the build is configured, once: a rule at build time was run by
  # each skeleton's target at once under -j2 (both renamed one .tmp file). The
  # running kernel's BTF does not change under a build tree; delete the file
  # to take another kernel's.
  message(STATUS "Generating vmlinux.h from ${EBPFLOW_BTF_FILE}")
  execute_process(COMMAND ${BPFTOOL_EXE} btf dump file ${EBPFLOW_BTF_FILE} format c
    OUTPUT_FILE ${BPF_GEN_DIR}/vmlinux.h.tmp RESULT_VARIABLE bpftool_rc)
  if(NOT bpftool_rc EQUAL 0)
    message(FATAL_ERROR "bpftool could not dump ${EBPFLOW_BTF_FILE} (${bpftool_rc})")
  endif()
  file(RENAME ${BPF_GEN_DIR}/vmlinux.h.tmp ${BPF_GEN_DIR}/vmlinux.h)
endif()

function(bpf_skeleton target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS" ${ARGN})
  set(objects)
  set(headers)
  foreach(h ${ARG_HEADERS})
    list(APPEND headers ${CMAKE_SOURCE_DIR}/${h})
  endforeach()
  foreach(src ${ARG_SOURCES})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${BPF_GEN_DIR}/${base}.bpf.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${CLANG_EXE} -g -O2 -Wall -target bpf -mcpu=v3 -D__TARGET_ARCH_${BPF_TARGET_ARCH}
              -I${BPF_GEN_DIR} -I${CMAKE_SOURCE_DIR}/bpf
              -c ${CMAKE_SOURCE_DIR}/${src} -o ${obj}
      DEPENDS ${CMAKE_SOURCE_DIR}/${src} ${headers} ${BPF_GEN_DIR}/vmlinux.h
      COMMENT "BPF ${src}"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  add_custom_command(OUTPUT ${BPF_GEN_DIR}/${name}.bpf.o ${BPF_GEN_DIR}/${name}.skel.h
    COMMAND ${BPFTOOL_EXE} gen object ${BPF_GEN_DIR}/${name}.bpf.o ${objects}
    COMMAND ${BPFTOOL_EXE} gen skeleton ${BPF_GEN_DIR}/${name}.bpf.o name ${name} > ${BPF_GEN_DIR}/${name}.skel.h
    DEPENDS ${objects}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${BPF_GEN_DIR}/${name}.skel.h)
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${BPF_GEN_DIR} ${CMAKE_SOURCE_DIR}/bpf)
  target_link_libraries(${target} INTERFACE PkgConfig::LIBBPF PkgConfig::LIBELF)
endfunction()
