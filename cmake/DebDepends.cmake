# SPDX-License-Identifier: GPL-2.0-only
# The .deb's Depends in a cross build against a sysroot (cmake/Package.cmake
# makes cpack include this file, CPACK_PROJECT_CONFIG_FILE): dpkg-shlibdeps
# reads the build host's dpkg database and libraries, not the sysroot's, so
# it cannot answer for another architecture's binaries. The same answer from
# the sysroot: each library a binary needs (its NEEDED entries), mapped
# through the shlibs files of the sysroot's installed packages
# (/var/lib/dpkg/info/*.shlibs: "libname soversion package (>= version)").
# EBPFLOW_DEB_SYSROOT, EBPFLOW_DEB_OBJDUMP and EBPFLOW_DEB_BINARIES are set
# by the generated file that includes this one.
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR NOT EBPFLOW_DEB_SYSROOT)
  return()
endif()

file(GLOB shlibs_files ${EBPFLOW_DEB_SYSROOT}/var/lib/dpkg/info/*.shlibs)
set(depends)
foreach(bin ${EBPFLOW_DEB_BINARIES})
  execute_process(COMMAND ${EBPFLOW_DEB_OBJDUMP} -p ${bin}
    OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EBPFLOW_DEB_OBJDUMP} -p ${bin} failed")
  endif()
  string(REGEX MATCHALL "NEEDED +[^\n]+" needed "${dump}")
  foreach(entry ${needed})
    string(REGEX REPLACE "^NEEDED +" "" soname "${entry}")
    if(NOT soname MATCHES "^(.+)\\.so\\.([0-9.]+)$")
      message(FATAL_ERROR "${bin}: cannot read the soname ${soname}")
    endif()
    set(lib ${CMAKE_MATCH_1})
    set(version ${CMAKE_MATCH_2})
    string(REGEX REPLACE "([][+.*()^$])" "\\\\\\1" lib_re "${lib}")
    set(found)
    foreach(f ${shlibs_files})
      file(STRINGS ${f} lines REGEX "^${lib_re} ${version} ")
      if(lines)
        list(GET lines 0 line)
        # (REGEX REPLACE would anchor ^ again after each match)
        string(REGEX MATCH "^[^ ]+ [^ ]+ (.+)$" _ "${line}")
        set(found "${CMAKE_MATCH_1}")
        break()
      endif()
    endforeach()
    if(NOT found)
      message(FATAL_ERROR "${bin} needs ${soname}: no package of ${EBPFLOW_DEB_SYSROOT} declares it")
    endif()
    list(APPEND depends "${found}")
  endforeach()
endforeach()
list(REMOVE_DUPLICATES depends)
list(SORT depends)
string(REPLACE ";" ", " CPACK_DEBIAN_PACKAGE_DEPENDS "${depends}")
message(STATUS "Depends (from ${EBPFLOW_DEB_SYSROOT}): ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
