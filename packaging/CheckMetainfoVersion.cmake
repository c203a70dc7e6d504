# cmake -DMETAINFO=file.metainfo.xml -DVERSION=x.y.z -P CheckMetainfoVersion.cmake
# Fails unless the first (newest) <release> in the AppStream metainfo is VERSION: software centres
# show that entry as the installed version, so it must move with project(VERSION).
file(READ ${METAINFO} text)
if(NOT text MATCHES "<release[^>]* version=\"([^\"]+)\"")
    message(FATAL_ERROR "${METAINFO}: no <release version=...>")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
    message(FATAL_ERROR "${METAINFO}: the newest release is ${CMAKE_MATCH_1}, the project is ${VERSION}: "
                        "add a <release version=\"${VERSION}\" date=...> at the top of <releases>")
endif()
