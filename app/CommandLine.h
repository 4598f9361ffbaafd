#pragma once

#include <QString>
#include <QStringList>

#include <optional>
#include <variant>

namespace l402::app {

// Options every subcommand understands, taken out of argv before the subcommand parses the
// rest. Kept free of QCoreApplication so main() can decide GUI vs. headless first.
struct GlobalOptions {
    QString command; // "gui" when none is given
    QStringList arguments;
    QString dataDir;
    QString passphraseFile;
    bool json = false;
    bool demo = false;
    bool help = false;
    bool version = false;
    // Set by the running wallet for a read an agent asked for: only that agent's own
    // history and tokens are shown.
    QString onlyAgent;
};

struct ParseError {
    QString message;
};

// Returns the options or a one-line error. Unknown options are left in `arguments` for the
// subcommand, which rejects what it does not know.
std::variant<GlobalOptions, ParseError> parseGlobalOptions(const QStringList& argv);

// --data-dir, else $L402_WALLET_HOME, else the platform app-data folder ("demo" under it
// with --demo, so simulated funds never mix with real ones).
QString resolveDataDir(const GlobalOptions& options);

QString usageText();

} // namespace l402::app
