# Runs at install time (`cmake --install`, and CPack for the .deb): the service's files,
# whose paths depend on the prefix, which is known only then. One build serves both:
# `cmake --install build --prefix P` (P/lib/systemd/system/cocreated.service running
# P/sbin/cocreated, reading P/etc/default/cocreate) and the .deb (prefix /usr, so
# /usr/sbin/cocreated and /etc/default/cocreate, GNUInstallDirs' rule for /usr).
# Set before it by packaging/CMakeLists.txt: CC_PKG_SRC, CC_PKG_BIN, CC_SBINDIR,
# CC_UNITDIR, CC_SYSUSERS_DIR (relative to the prefix unless absolute).
if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  set(CC_SYSCONFDIR /etc)
else()
  set(CC_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
endif()
foreach(v CC_SBINDIR CC_UNITDIR CC_SYSUSERS_DIR)
  if(NOT IS_ABSOLUTE "${${v}}")
    set(${v} "${CMAKE_INSTALL_PREFIX}/${${v}}")
  endif()
endforeach()
set(CC_SYSUSERS_FILE "${CC_SYSUSERS_DIR}/cocreate.conf")
set(CC_GENERATED_FROM "Made from packaging/cocreated.service.in at install time.")

# One file per destination: two installs from one build (ctest -j2) never share it.
string(MD5 key "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
configure_file("${CC_PKG_SRC}/cocreated.service.in" "${CC_PKG_BIN}/unit-${key}/cocreated.service"
               @ONLY)
file(INSTALL "${CC_PKG_BIN}/unit-${key}/cocreated.service" DESTINATION "${CC_UNITDIR}")

# The settings file is the operator's: installed once, never overwritten (the .deb's
# copy is a conffile, which dpkg keeps).
if(EXISTS "$ENV{DESTDIR}${CC_SYSCONFDIR}/default/cocreate")
  message(STATUS "Keeping: $ENV{DESTDIR}${CC_SYSCONFDIR}/default/cocreate")
else()
  file(INSTALL "${CC_PKG_SRC}/cocreate.default" DESTINATION "${CC_SYSCONFDIR}/default"
       RENAME cocreate)
endif()
