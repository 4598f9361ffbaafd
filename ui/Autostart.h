#pragma once

#include "core/util/Result.h"

#include <QString>

namespace l402::ui {

// "Start at login" through an XDG autostart entry (GNOME, KDE, Xfce and every desktop that
// follows the freedesktop.org autostart spec):
// $XDG_CONFIG_HOME/autostart/example.l402wallet.L402Wallet.desktop, ~/.config by default.

// Where the entry lives.
QString autostartEntryPath();
// True when the entry exists and is not switched off (Hidden=true or
// X-GNOME-Autostart-enabled=false, as a desktop's own settings panel may write).
bool startsAtLogin();
// Writes the entry (atomically) to start `executable`, or removes it.
[[nodiscard]] Status setStartAtLogin(bool enabled, const QString& executable);

} // namespace l402::ui
