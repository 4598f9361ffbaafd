# One INTERFACE target carries the warnings, strict Qt defines and sanitizers that every
# first-party target links. Third-party code never sees these flags.
add_library(l402_project_options INTERFACE)

target_compile_options(l402_project_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wnon-virtual-dtor
  -Wcast-align -Woverloaded-virtual -Wformat=2
  -Wimplicit-fallthrough)
# -Wnull-dereference only without optimisation: at -O2, GCC 12 reports paths it invents
# while inlining std::move, unique_ptr and QPointer checks (dozens of false positives in the
# release build); the Debug/ASan build, where the warning is precise, keeps it.
target_compile_options(l402_project_options INTERFACE
  $<$<CONFIG:Debug>:-Wnull-dereference>)
if(L402_WARNINGS_AS_ERRORS OR DEFINED ENV{CI})
  target_compile_options(l402_project_options INTERFACE -Werror)
endif()

target_compile_definitions(l402_project_options INTERFACE
  QT_NO_CAST_FROM_ASCII
  QT_NO_CAST_TO_ASCII
  QT_NO_CAST_FROM_BYTEARRAY
  QT_NO_CONTEXTLESS_CONNECT
  QT_USE_QSTRINGBUILDER
  QT_NO_KEYWORDS
  QT_NO_URL_CAST_FROM_STRING
  QT_STRICT_ITERATORS
  QT_DISABLE_DEPRECATED_UP_TO=0x060400)

if(SANITIZERS)
  string(REPLACE "," ";" _sanitizer_list "${SANITIZERS}")
  string(REPLACE ";" "," _sanitizer_flag "${_sanitizer_list}")
  target_compile_options(l402_project_options INTERFACE
    -fsanitize=${_sanitizer_flag} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(l402_project_options INTERFACE -fsanitize=${_sanitizer_flag})
endif()

# Fuzz builds instrument every first-party target for coverage, so libFuzzer sees inside the
# parsers in l402_core, not just the thin fuzz entry points.
if(L402_FUZZ)
  target_compile_options(l402_project_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
