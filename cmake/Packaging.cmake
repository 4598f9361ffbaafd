# Installation of the desktop integration files and CPack packaging.
#
# Included from the top-level CMakeLists.txt after add_subdirectory(app), so that the
# binary's own install rule (app/CMakeLists.txt: bin/l402-wallet) runs before the rules here
# (policy CMP0082: install rules run in the order they are declared).
#
#   Linux:   `cmake --build <dir> --target package` -> l402-wallet_<version>-1_<arch>.deb
#   Windows: installers/windows/Windows.cmake (WiX v3 MSI, windeployqt)
#   macOS:   installers/macos/macOS.cmake (DragNDrop DMG, macdeployqt)
#
# See installers/README.md.
include_guard(GLOBAL)
include(GNUInstallDirs)

set(L402_APP_ID "example.l402wallet.L402Wallet")
set(L402_INSTALLERS_DIR "${PROJECT_SOURCE_DIR}/installers")
# Sizes the target l402_icon_pngs renders into
# ${PROJECT_BINARY_DIR}/resources/hicolor/<N>x<N>/apps/${L402_APP_ID}.png
set(L402_ICON_PNG_SIZES 16 22 24 32 48 64 128 256)
set(L402_ICON_PNG_DIR "${PROJECT_BINARY_DIR}/resources/hicolor")

# ---------------------------------------------------------------------------------------
# Settings every generator shares
# ---------------------------------------------------------------------------------------
set(CPACK_VERBATIM_VARIABLES ON)
set(CPACK_PACKAGE_NAME "l402-wallet")
set(CPACK_PACKAGE_VENDOR "The L402 Wallet developers")
set(CPACK_PACKAGE_CONTACT "The L402 Wallet developers <maintainers@l402wallet.example>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "L402 Wallet")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# The long description. CPack DEB puts the summary above it and formats it for the control
# file (blank lines become " .").
set(CPACK_PACKAGE_DESCRIPTION
"L402 Wallet is a local guard between AI agents and the user's money. When an agent
calls a paid HTTP API and the server answers 402 Payment Required with an L402
challenge (a macaroon and a Lightning invoice), the wallet checks the invoice,
applies the user's budgets, asks when a rule says so, pays through the user's own
Lightning node, keeps the token and reuses it.

Agents go through a local proxy (or gateway URLs that need no proxy settings),
each with its own credential. Budgets are set per site and per agent: a maximum
per payment, daily, weekly and monthly limits, and a mode that pays
automatically, asks first or blocks. Payments that need an answer wait for
approval and are denied when nobody answers in time.

Supported node backends: LND, Core Lightning, LNbits, phoenixd and Nostr Wallet
Connect. The same binary offers a curl-like fetch command, an MCP server for
agents and a headless serve mode with a systemd user unit. Node credentials,
tokens and the payment ledger are kept in an encrypted SQLCipher database whose
key stays in the system keychain (Secret Service) or behind a passphrase.")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CHECKSUM SHA256)

# The version in the hand-written files must follow project(VERSION): warn when it does not.
function(_l402_check_version_in file regex what)
  file(STRINGS "${file}" _found REGEX "${regex}")
  if(NOT _found)
    message(WARNING "Packaging: ${file} has no ${what} for version ${PROJECT_VERSION}; "
                    "update it along with project(VERSION).")
  endif()
endfunction()

if(UNIX AND NOT APPLE)
  # -------------------------------------------------------------------------------------
  # Linux (and other free desktops): freedesktop.org integration, man page, user service
  # -------------------------------------------------------------------------------------
  set(_linux "${L402_INSTALLERS_DIR}/linux")
  set(_linux_build "${PROJECT_BINARY_DIR}/installers/linux")

  _l402_check_version_in("${_linux}/${L402_APP_ID}.metainfo.xml"
    "<release version=\"${PROJECT_VERSION}\"" "<release> in the AppStream metainfo")
  _l402_check_version_in("${_linux}/l402-wallet.1"
    "^\\.TH .*\"L402 Wallet ${PROJECT_VERSION}\"" ".TH footer in the man page")

  # The man page, compressed at build time (-n: no name or time stamp, reproducible).
  find_program(L402_GZIP_EXECUTABLE gzip REQUIRED)
  file(MAKE_DIRECTORY "${_linux_build}")
  add_custom_command(
    OUTPUT "${_linux_build}/l402-wallet.1.gz"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${_linux_build}"
    COMMAND "${CMAKE_COMMAND}" -E copy "${_linux}/l402-wallet.1" "${_linux_build}/l402-wallet.1"
    COMMAND "${L402_GZIP_EXECUTABLE}" -9nf "${_linux_build}/l402-wallet.1"
    DEPENDS "${_linux}/l402-wallet.1"
    COMMENT "Compressing the l402-wallet(1) man page"
    VERBATIM)
  # Part of `all`, so `install` and `package` always find what they install.
  add_custom_target(l402_linux_integration ALL
    DEPENDS "${_linux_build}/l402-wallet.1.gz"
    SOURCES "${_linux}/${L402_APP_ID}.desktop" "${_linux}/${L402_APP_ID}.metainfo.xml"
            "${_linux}/l402-wallet.service" "${_linux}/l402-wallet.1")

  install(FILES "${_linux_build}/l402-wallet.1.gz"
    DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
  # systemd's user unit directory is <prefix>/lib/systemd/user on every distribution
  # (not CMAKE_INSTALL_LIBDIR, which is lib/<multiarch> on Debian).
  # Debian wants the licence at /usr/share/doc/<package>/copyright.
  install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/l402-wallet" RENAME copyright)
  install(FILES "${_linux}/l402-wallet.service"
    DESTINATION "lib/systemd/user")

  # The PNG icons come from the target l402_icon_pngs, which may be defined after this file
  # is included: these rules are added at the end of the top-level directory (the deferred
  # call below), when it exists.
  function(_l402_install_icon_pngs)
    if(NOT TARGET l402_icon_pngs)
      message(WARNING "Packaging: there is no target l402_icon_pngs, so the PNG icons "
                      "(${L402_ICON_PNG_SIZES} px) are not installed; only the scalable SVG is.")
      return()
    endif()
    # Built with `all` even if l402_icon_pngs itself is not part of it.
    add_dependencies(l402_linux_integration l402_icon_pngs)
    foreach(_size IN LISTS L402_ICON_PNG_SIZES)
      install(FILES "${L402_ICON_PNG_DIR}/${_size}x${_size}/apps/${L402_APP_ID}.png"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/${_size}x${_size}/apps")
    endforeach()
  endfunction()

  # The menu entry, AppStream data and icons are for the window: not in a headless build
  # (L402_BUILD_GUI=OFF), whose binary only says that it has no GUI.
  if(L402_BUILD_GUI)
    install(FILES "${_linux}/${L402_APP_ID}.desktop"
      DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")
    install(FILES "${_linux}/${L402_APP_ID}.metainfo.xml"
      DESTINATION "${CMAKE_INSTALL_DATADIR}/metainfo")
    install(FILES "${PROJECT_SOURCE_DIR}/resources/icons/l402-wallet.svg"
      DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps"
      RENAME "${L402_APP_ID}.svg")
    cmake_language(DEFER CALL _l402_install_icon_pngs)
  endif()

  # -------------------------------------------------------------------------------------
  # CPack: a Debian package
  # -------------------------------------------------------------------------------------
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    set(CPACK_GENERATOR "DEB")
  else()
    set(CPACK_GENERATOR "TGZ")
  endif()
  # `make install` keeps CMAKE_INSTALL_PREFIX (/usr/local by default); the package installs
  # under /usr.
  set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
  set(CPACK_DEBIAN_PACKAGE_NAME "l402-wallet")
  set(CPACK_DEBIAN_PACKAGE_RELEASE "1")
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
  set(CPACK_DEBIAN_PACKAGE_SECTION "net")
  set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
  # Depends: from dpkg-shlibdeps on the installed binary (Qt, OpenSSL, SQLCipher, ...).
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # The default key store is the Secret Service (QtKeychain over D-Bus).
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnome-keyring, bubblewrap")
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
  set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")
elseif(WIN32)
  include("${L402_INSTALLERS_DIR}/windows/Windows.cmake")
elseif(APPLE)
  include("${L402_INSTALLERS_DIR}/macos/macOS.cmake")
endif()

include(CPack)
