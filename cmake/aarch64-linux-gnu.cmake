# SPDX-License-Identifier: GPL-2.0-only
#
# Toolchain file: eBPFlow for arm64 (aarch64), built on an amd64 machine with
# Debian's cross compiler (gcc-aarch64-linux-gnu):
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DEBPFLOW_VMLINUX_H=vmlinux-arm64.h [-DEBPFLOW_SYSROOT=DIR]
#
# The arm64 libraries come from one of two places:
# - EBPFLOW_SYSROOT: an arm64 Debian root holding the -dev packages (made with
#   mmdebstrap, as tests/vm/arm64.py does); nothing is installed on the host;
# - else Debian's multiarch: `dpkg --add-architecture arm64` and the :arm64
#   -dev packages installed on the host (/usr/lib/aarch64-linux-gnu).
# The BPF programs' target (bpf_tracing.h's register layout) follows
# CMAKE_SYSTEM_PROCESSOR (cmake/BpfObject.cmake); their vmlinux.h must be an
# arm64 kernel's (EBPFLOW_VMLINUX_H), not the build host's.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(EBPFLOW_TRIPLET aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${EBPFLOW_TRIPLET}-gcc)

# try_compile runs the toolchain file again in a project of its own: pass
# the sysroot on to it
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EBPFLOW_SYSROOT)
set(EBPFLOW_SYSROOT "${EBPFLOW_SYSROOT}" CACHE PATH "an arm64 root with the -dev packages (empty: multiarch)")

if(EBPFLOW_SYSROOT)
  set(CMAKE_SYSROOT ${EBPFLOW_SYSROOT})
  set(CMAKE_FIND_ROOT_PATH ${EBPFLOW_SYSROOT})
  # pkg-config reads the root's .pc files and prefixes their paths with it
  set(ENV{PKG_CONFIG_SYSROOT_DIR} ${EBPFLOW_SYSROOT})
  set(ENV{PKG_CONFIG_LIBDIR}
    "${EBPFLOW_SYSROOT}/usr/lib/${EBPFLOW_TRIPLET}/pkgconfig:${EBPFLOW_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
else()
  set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${EBPFLOW_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()

# programs (clang, bpftool, pkg-config) are the build host's; libraries and
# headers only the root's
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
if(EBPFLOW_SYSROOT)
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
endif()

# the build runs one of its own programs (ebpflow-mappings writes the
# collector mappings): through qemu-user, with the sysroot's libraries
find_program(EBPFLOW_QEMU_AARCH64 qemu-aarch64-static qemu-aarch64)
if(EBPFLOW_QEMU_AARCH64)
  if(EBPFLOW_SYSROOT)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${EBPFLOW_QEMU_AARCH64} -L ${EBPFLOW_SYSROOT})
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR ${EBPFLOW_QEMU_AARCH64} -L /usr/${EBPFLOW_TRIPLET})
  endif()
endif()

# the .deb's architecture (CPack would ask the build host's dpkg)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
