# packaging.cmake - install rules and the CPack .deb for wirehose.
#
# Include it from the top-level CMakeLists.txt AFTER every add_subdirectory()
# (it installs only the targets that exist and ends with include(CPack)):
#
#   include(cmake/packaging.cmake)
#
# Then, in a build directory:  cpack -G DEB   (or: cmake --build . -t package)
# The package installs under /usr, configs under /etc/wirehose (conffiles),
# the state directory /var/lib/wirehose, the systemd units, and creates the
# system user "wirehose" (sysusers.d) the units run as.

include(GNUInstallDirs)

set(WH_PKG_DIR ${CMAKE_CURRENT_LIST_DIR}/debian)

# ---- binaries: only those built in this tree ---------------------------------
foreach(wh_bin wirehose-producer wirehose-consumer wirehose-extract
               wirehose-replay wirehose-devbroker)
  if(TARGET ${wh_bin})
    install(TARGETS ${wh_bin} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# ---- systemd units, configs, state directory ---------------------------------
# The package (prefix /usr) puts configs in /etc/wirehose and the state in
# /var/lib/wirehose, as the units in deploy/systemd say. Any other prefix
# (make install to /usr/local, a test tree) keeps everything under the
# prefix: configs in PREFIX/etc/wirehose. The units are rewritten at install
# time (cpack or cmake --install, when the real prefix is known) to name the
# installed binaries and configs. StateDirectory= is always under
# /var/lib: systemd creates it.
set(WH_UNIT_SRC ${PROJECT_SOURCE_DIR}/deploy/systemd)
set(WH_UNIT_OUT ${CMAKE_BINARY_DIR}/packaging/units)
file(GLOB WH_CONFIGS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/deploy/config/*.conf)
list(SORT WH_CONFIGS)
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(wh_etc /etc)
  else()
    set(wh_etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  foreach(u wirehose-producer@.service wirehose-producer-fleet@.service
            wirehose-consumer@.service)
    file(READ \"${WH_UNIT_SRC}/\${u}\" txt)
    string(REPLACE \"/usr/bin/wirehose-\"
           \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/wirehose-\"
           txt \"\${txt}\")
    string(REPLACE \"/etc/wirehose/\" \"\${wh_etc}/wirehose/\"
           txt \"\${txt}\")
    file(WRITE \"${WH_UNIT_OUT}/\${u}\" \"\${txt}\")
  endforeach()
  message(STATUS \"wirehose: configs in \${wh_etc}/wirehose\")
  # file(INSTALL) applies DESTDIR itself; file(MAKE_DIRECTORY) does not
  file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${wh_etc}/wirehose\")
  set(wh_configs ${WH_CONFIGS})
  if(wh_configs)
    file(INSTALL DESTINATION \"\${wh_etc}/wirehose\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
         FILES \${wh_configs})
  endif()
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    file(MAKE_DIRECTORY \"\$ENV{DESTDIR}/var/lib/wirehose\")
  endif()
")
install(FILES ${WH_UNIT_OUT}/wirehose-producer@.service
              ${WH_UNIT_OUT}/wirehose-producer-fleet@.service
              ${WH_UNIT_OUT}/wirehose-consumer@.service
        DESTINATION lib/systemd/system)
install(FILES ${WH_PKG_DIR}/wirehose.sysusers
        DESTINATION lib/sysusers.d RENAME wirehose.conf)

# ---- data, docs --------------------------------------------------------------
if(EXISTS ${PROJECT_SOURCE_DIR}/data)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/wirehose)
endif()
foreach(wh_doc README.md docs/operations.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${wh_doc})
    install(FILES ${PROJECT_SOURCE_DIR}/${wh_doc}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/wirehose)
  endif()
endforeach()

# ---- CPack: one .deb ---------------------------------------------------------
# Files under /etc are conffiles: an upgrade keeps the administrator's edits.
set(WH_CONFFILES "")
foreach(wh_conf ${WH_CONFIGS})
  get_filename_component(wh_name ${wh_conf} NAME)
  string(APPEND WH_CONFFILES "/etc/wirehose/${wh_name}\n")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${WH_CONFFILES}")
set(WH_CONTROL_EXTRA ${WH_PKG_DIR}/postinst ${WH_PKG_DIR}/prerm
                     ${WH_PKG_DIR}/postrm)
if(NOT WH_CONFFILES STREQUAL "")
  list(APPEND WH_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wirehose)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "wirehose")
if(NOT CPACK_PACKAGE_CONTACT)
  set(CPACK_PACKAGE_CONTACT "wirehose maintainers <wirehose@example.org>")
endif()
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "news wire ingestion pipeline: feeds and pages to ninjs records in Kafka")
set(CPACK_PACKAGE_DESCRIPTION
"wirehose polls news sources (RSS/Atom feeds, article pages, wire formats),
extracts clean articles, normalizes them into IPTC ninjs records and
publishes them to Kafka (wirehose-producer). Consumer-group members
(wirehose-consumer) dedup, enrich and write the records to sinks (JSONL,
Kafka, PostgreSQL, HTTP). Runs as systemd template services
wirehose-producer@NAME and wirehose-consumer@NAME, with Prometheus metrics,
plus wirehose-replay to reprocess a topic and wirehose-extract to test
extraction on one page.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends: computed from the binaries' shared libraries (dpkg-shlibdeps),
# plus what the maintainer scripts use and the data files the entities
# enricher reads (wamerican's word list, iso-codes' ISO 3166-2).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "adduser | systemd (>= 215), wamerican, iso-codes")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kcat, postgresql-client")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${WH_CONTROL_EXTRA}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only what the install rules above name: no static libraries, no tests.
set(CPACK_SOURCE_IGNORE_FILES "/build[^/]*/;/\\\\.git/")
include(CPack)
