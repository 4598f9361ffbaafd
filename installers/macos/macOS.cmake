# macOS packaging: l402-wallet.app in a drag-and-drop DMG (CPack's DragNDrop generator), with
# Qt and the other libraries deployed into the bundle by macdeployqt at install time.
#
# Included by cmake/Packaging.cmake on APPLE, before include(CPack).
#
# It needs l402-wallet built as an app bundle and installed with a BUNDLE destination, which
# must be set where the target and its install rule are (app/CMakeLists.txt), before that
# install(TARGETS) call:
#     if(APPLE)
#       set_target_properties(l402-wallet PROPERTIES MACOSX_BUNDLE TRUE)
#     endif()
#     install(TARGETS l402-wallet RUNTIME DESTINATION bin BUNDLE DESTINATION .)
#
#   cmake -S . -B build/mac -G Ninja -DCMAKE_BUILD_TYPE=Release -DL402_BUILD_TESTS=OFF \
#         -DCMAKE_OSX_DEPLOYMENT_TARGET=11.0 -DCMAKE_PREFIX_PATH="$(brew --prefix qt)"
#   cmake --build build/mac
#   cd build/mac && cpack -G DragNDrop
#
# Not built or tested on the project's Debian machine; see installers/README.md.

set(_l402_macos_dir "${CMAKE_CURRENT_LIST_DIR}")

get_target_property(_l402_is_bundle l402-wallet MACOSX_BUNDLE)
if(NOT _l402_is_bundle)
  message(WARNING "Packaging: l402-wallet is not an app bundle (MACOSX_BUNDLE), so no .app "
                  "and no DMG can be made; see the top of ${CMAKE_CURRENT_LIST_FILE} for the "
                  "two lines app/CMakeLists.txt needs.")
  return()
endif()

if(CMAKE_OSX_DEPLOYMENT_TARGET AND CMAKE_OSX_DEPLOYMENT_TARGET VERSION_LESS 11.0)
  message(WARNING "Packaging: CMAKE_OSX_DEPLOYMENT_TARGET is ${CMAKE_OSX_DEPLOYMENT_TARGET}, "
                  "but Info.plist says LSMinimumSystemVersion 11.0.")
endif()

# ---------------------------------------------------------------------------------------
# The bundle: Info.plist and icon
# ---------------------------------------------------------------------------------------
set_target_properties(l402-wallet PROPERTIES
  MACOSX_BUNDLE_INFO_PLIST "${_l402_macos_dir}/Info.plist.in"
  MACOSX_BUNDLE_BUNDLE_NAME "L402 Wallet"
  MACOSX_BUNDLE_GUI_IDENTIFIER "example.l402wallet.L402Wallet"
  MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
  MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}"
  MACOSX_BUNDLE_COPYRIGHT "The L402 Wallet developers")

# The bundle icon needs an .icns; make it from the PNG icons with iconutil (see
# installers/README.md) and put it at installers/macos/l402-wallet.icns.
set(L402_MACOS_ICON "${_l402_macos_dir}/l402-wallet.icns" CACHE FILEPATH
    "Icon (.icns) of the macOS app bundle")
if(EXISTS "${L402_MACOS_ICON}")
  get_filename_component(_l402_icon_name "${L402_MACOS_ICON}" NAME)
  target_sources(l402-wallet PRIVATE "${L402_MACOS_ICON}")
  # Source file properties belong to a directory: set them where the target lives.
  set_source_files_properties("${L402_MACOS_ICON}" TARGET_DIRECTORY l402-wallet
    PROPERTIES MACOSX_PACKAGE_LOCATION "Resources")
  set_target_properties(l402-wallet PROPERTIES MACOSX_BUNDLE_ICON_FILE "${_l402_icon_name}")
else()
  message(WARNING "Packaging: ${L402_MACOS_ICON} does not exist; the app gets the default "
                  "icon.")
endif()

# ---------------------------------------------------------------------------------------
# The DMG
# ---------------------------------------------------------------------------------------
set(CPACK_GENERATOR "DragNDrop")
set(CPACK_DMG_VOLUME_NAME "L402 Wallet")
set(CPACK_DMG_FORMAT "UDZO")
set(CPACK_PACKAGE_FILE_NAME "l402-wallet-${PROJECT_VERSION}-macos")
# The DMG shows l402-wallet.app next to a link to /Applications (the generator's default).

# ---------------------------------------------------------------------------------------
# Qt and the other libraries into the installed bundle, at install time. This rule runs after
# app/'s install(TARGETS) (policy CMP0082), so the bundle is already in place.
# ---------------------------------------------------------------------------------------
find_program(MACDEPLOYQT_EXECUTABLE macdeployqt
  HINTS "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_BINS}" "${QT6_INSTALL_PREFIX}/bin")

# Signing: empty signs ad hoc (enough to run on the machine that built it; Apple silicon
# refuses unsigned code). A "Developer ID Application: ..." identity signs for notarization
# (hardened runtime, secure time stamp); notarize the DMG afterwards with notarytool.
set(L402_MACOS_SIGNING_IDENTITY "" CACHE STRING
    "codesign identity for the app bundle (empty: ad-hoc signature)")
if(L402_MACOS_SIGNING_IDENTITY)
  set(_l402_sign_flag "-sign-for-notarization=${L402_MACOS_SIGNING_IDENTITY}")
else()
  set(_l402_sign_flag "-codesign=-")
endif()

if(NOT MACDEPLOYQT_EXECUTABLE)
  message(WARNING "Packaging: macdeployqt was not found; the installed bundle and the DMG "
                  "will lack Qt's frameworks and plugins.")
else()
  # @VAR@ is filled in now; ${...} and $ENV{...} are left for install time.
  set(_l402_deploy [=[
set(_l402_app "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/$<TARGET_BUNDLE_DIR_NAME:l402-wallet>")
message(STATUS "Deploying Qt into ${_l402_app}")
execute_process(
  COMMAND "@MACDEPLOYQT_EXECUTABLE@" "${_l402_app}" -always-overwrite -verbose=1
          "@_l402_sign_flag@"
  RESULT_VARIABLE _l402_result)
if(NOT _l402_result EQUAL 0)
  message(FATAL_ERROR "macdeployqt failed (${_l402_result}) for ${_l402_app}")
endif()
]=])
  string(CONFIGURE "${_l402_deploy}" _l402_deploy @ONLY)
  install(CODE "${_l402_deploy}")
endif()
