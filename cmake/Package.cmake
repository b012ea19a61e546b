# SPDX-License-Identifier: GPL-2.0-only
# The Debian package, built by CPack from the install rules:
#   cmake --build build --target package  ->  build/ebpflow_VERSION_ARCH.deb
# with /usr/sbin/ebpflow, /usr/bin/ebpflow-collector, /etc/ebpflow/ebpflow.conf
# (a conffile), the systemd unit, the man pages and the collector mappings;
# Depends from the shared libraries the binaries link (dpkg-shlibdeps).
# The unit's system user: its sysusers.d file (installed by the install rules)
# is applied by the postinst (packaging/postinst).
include(${CMAKE_SOURCE_DIR}/cmake/EbpflowDirs.cmake)

set(EBPFLOW_PACKAGE_MAINTAINER
  "Seed 61ff3902 maintainers <maintainers@users.noreply.r-seed-61ff3902.example>"
  CACHE STRING "Maintainer of the Debian package (name <address>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ebpflow)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${EBPFLOW_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "process-aware flow exporter (eBPF, IPFIX)")
set(CPACK_PACKAGE_DESCRIPTION "\
eBPFlow watches TCP connect and accept, UDP send and receive of every process
with eBPF and aggregates them in the kernel into flows keyed by the process:
process id and name, user and container of every flow. It shows them on the
console, writes them as JSON and exports them as IPFIX to collectors such as
nfcapd, pmacct, goflow2, Logstash, Telegraf or, with ntop's elements, nProbe.
Mappings for those collectors are in /usr/share/ebpflow/collectors.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# a cross build against a sysroot (cmake/aarch64-linux-gnu.cmake): the
# Depends from the sysroot's packages (cmake/DebDepends.cmake)
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSROOT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/packaging/deb-depends.cmake CONTENT "\
set(EBPFLOW_DEB_SYSROOT [[${CMAKE_SYSROOT}]])
set(EBPFLOW_DEB_OBJDUMP [[${CMAKE_OBJDUMP}]])
set(EBPFLOW_DEB_BINARIES [[$<TARGET_FILE:ebpflow>;$<TARGET_FILE:ebpflow-collector>;\
$<TARGET_FILE:ebpflow-mappings>]])
include([[${CMAKE_SOURCE_DIR}/cmake/DebDepends.cmake]])
")
  set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/packaging/deb-depends.cmake)
endif()
set(CPACK_STRIP_FILES ON)
# Install with DESTDIR and the prefix /usr (not a staging prefix), so that the
# install script sees /usr and puts the configuration in /etc, and the unit
# names /usr/sbin/ebpflow and /etc/ebpflow/ebpflow.conf.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

# the configuration is a conffile: dpkg keeps an administrator's edits
ebpflow_full_dir(pkg_conf_dir "${CMAKE_INSTALL_SYSCONFDIR}/ebpflow" /usr)
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${pkg_conf_dir}/ebpflow.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles
  ${CMAKE_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# Debian's changelog of a native package, compressed reproducibly
configure_file(packaging/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
execute_process(COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/packaging/changelog)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

include(CPack)
