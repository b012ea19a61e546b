# SPDX-License-Identifier: GPL-2.0-only
# Runs when installing (cmake --install, make install, cpack), not when
# configuring: the configuration file, the systemd unit and the man pages go
# where the prefix given then says, and the unit and the pages name those
# places. CMakeLists.txt sets the EBPFLOW_* variables before this runs.
#
# The configuration is installed once: a file already there is the
# administrator's, edited or not, and stays as it is.
include(${EBPFLOW_SOURCE_DIR}/cmake/EbpflowDirs.cmake)

ebpflow_full_dir(conf_dir "${EBPFLOW_SYSCONFDIR}/ebpflow" "${CMAKE_INSTALL_PREFIX}")
ebpflow_full_dir(sbin_dir "${EBPFLOW_SBINDIR}" "${CMAKE_INSTALL_PREFIX}")
ebpflow_full_dir(unit_dir "${EBPFLOW_SYSTEMD_UNITDIR}" "${CMAKE_INSTALL_PREFIX}")
ebpflow_full_dir(man_dir "${EBPFLOW_MANDIR}" "${CMAKE_INSTALL_PREFIX}")
ebpflow_full_dir(data_dir "${EBPFLOW_DATADIR}" "${CMAKE_INSTALL_PREFIX}")
ebpflow_full_dir(libexec_dir "${EBPFLOW_LIBEXECDIR}" "${CMAKE_INSTALL_PREFIX}")

set(shipped "${EBPFLOW_SOURCE_DIR}/config/ebpflow.conf")
set(conf "$ENV{DESTDIR}${conf_dir}/ebpflow.conf")
if(EXISTS "${conf}")
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${conf}" "${shipped}"
    RESULT_VARIABLE differs)
  if(differs)
    message(STATUS "Kept: ${conf} (it differs from the shipped ${shipped})")
  else()
    message(STATUS "Up-to-date: ${conf}")
  endif()
else()
  # file(INSTALL) puts DESTDIR in front itself
  file(INSTALL "${shipped}" DESTINATION "${conf_dir}"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

# the names the unit and the pages use for these places
set(CMAKE_INSTALL_FULL_SBINDIR "${sbin_dir}")
set(EBPFLOW_CONF_DIR "${conf_dir}")
set(EBPFLOW_COLLECTORS_DIR "${data_dir}/ebpflow/collectors")
set(EBPFLOW_LIBEXEC_DIR "${libexec_dir}/ebpflow")
set(PROJECT_VERSION "${EBPFLOW_VERSION}")
set(out "${EBPFLOW_BINARY_DIR}/install")
# the unit's user: systemd-sysusers reads lib/sysusers.d (of /usr, where a
# package installs; after another prefix: systemd-sysusers FILE)
file(INSTALL "${EBPFLOW_SOURCE_DIR}/systemd/ebpflow.sysusers"
  DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d" RENAME ebpflow.conf
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
configure_file("${EBPFLOW_SOURCE_DIR}/systemd/ebpflow.service.in" "${out}/ebpflow.service" @ONLY)
file(INSTALL "${out}/ebpflow.service" DESTINATION "${unit_dir}"
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
foreach(page ${EBPFLOW_MAN_PAGES})
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section "${page}")
  configure_file("${EBPFLOW_SOURCE_DIR}/man/${page}" "${out}/${page}" @ONLY)
  # compressed, without a name or time in the header: the same bytes every time
  execute_process(COMMAND gzip -9nf "${out}/${page}" RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "gzip ${out}/${page} failed")
  endif()
  file(INSTALL "${out}/${page}.gz" DESTINATION "${man_dir}/man${section}"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
