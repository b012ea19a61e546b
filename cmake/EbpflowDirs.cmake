# SPDX-License-Identifier: GPL-2.0-only
# Where a GNUInstallDirs directory lands for an installation prefix, by
# GNUInstallDirs' own rule (etc under the prefix /usr or / is /etc, under
# /opt/NAME it is /etc/opt/NAME; an absolute directory stays as it is). The
# install script applies it to the prefix given when installing, so that
# `cmake --install --prefix` decides, not the prefix configured.
function(ebpflow_full_dir var dir prefix)
  if(IS_ABSOLUTE "${dir}")
    set(full "${dir}")
  elseif(dir MATCHES "^etc(/.*)?$" AND prefix MATCHES "^/(usr/?)?$")
    set(full "/${dir}")
  elseif(dir MATCHES "^etc(/.*)?$" AND prefix MATCHES "^/opt/([^/]+)/?$")
    set(name "${CMAKE_MATCH_1}")
    string(REGEX REPLACE "^etc" "/etc/opt/${name}" full "${dir}")
  else()
    string(REGEX REPLACE "/$" "" prefix "${prefix}")
    set(full "${prefix}/${dir}")
  endif()
  set(${var} "${full}" PARENT_SCOPE)
endfunction()
