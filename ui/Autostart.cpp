#include "ui/Autostart.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace l402::ui {
namespace {

constexpr auto kErrorCode = "autostart_failed";

QString configHome()
{
    // The spec: an unset, empty or relative XDG_CONFIG_HOME means ~/.config.
    const QString configured = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (!configured.isEmpty() && QDir::isAbsolutePath(configured)) {
        return configured;
    }
    return QDir::homePath() + QStringLiteral("/.config");
}

// One Exec argument, quoted as the Desktop Entry spec asks: inside double quotes, `"`, `` ` ``,
// `$` and `\` take a backslash; then the value-level escapes apply on top (so a backslash
// becomes four), and `%` doubles because it starts a field code.
QString execArgument(const QString& argument)
{
    QString quoted = QStringLiteral("\"");
    for (const QChar c : argument) {
        if (c == u'"' || c == u'`' || c == u'$' || c == u'\\') {
            quoted += u'\\';
        }
        quoted += c;
    }
    quoted += u'"';

    QString value;
    for (const QChar c : quoted) {
        if (c == u'\\') {
            value += QStringLiteral("\\\\");
        } else if (c == u'\n') {
            value += QStringLiteral("\\n");
        } else if (c == u'\t') {
            value += QStringLiteral("\\t");
        } else if (c == u'\r') {
            value += QStringLiteral("\\r");
        } else if (c == u'%') {
            value += QStringLiteral("%%");
        } else {
            value += c;
        }
    }
    return value;
}

QByteArray entryContent(const QString& executable)
{
    const QString text = QStringLiteral("[Desktop Entry]\n"
                                        "Type=Application\n"
                                        "Name=L402 Wallet\n"
                                        "Comment=Let AI agents pay for L402 APIs within your "
                                        "budgets\n"
                                        "Exec=") +
                         execArgument(executable) +
                         QStringLiteral("\n"
                                        "Icon=example.l402wallet.L402Wallet\n"
                                        "Terminal=false\n"
                                        "X-GNOME-Autostart-enabled=true\n");
    return text.toUtf8();
}

Status failure(const QString& message)
{
    return Status::failure(QString::fromLatin1(kErrorCode), message);
}

} // namespace

QString autostartEntryPath()
{
    return configHome() + QStringLiteral("/autostart/example.l402wallet.L402Wallet.desktop");
}

bool startsAtLogin()
{
    QFile file(autostartEntryPath());
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return false;
    }
    bool inMainGroup = false;
    // A few hundred bytes at most; anything bigger is not ours to parse.
    const QList<QByteArray> lines = file.read(64 * 1024).split('\n');
    for (const QByteArray& raw : lines) {
        const QByteArray line = raw.trimmed();
        if (line.startsWith('[')) {
            inMainGroup = line == "[Desktop Entry]";
            continue;
        }
        if (!inMainGroup) {
            continue;
        }
        const qsizetype equals = line.indexOf('=');
        if (equals < 0) {
            continue;
        }
        const QByteArray key = line.left(equals).trimmed();
        const QByteArray value = line.mid(equals + 1).trimmed();
        if ((key == "Hidden" && value == "true") ||
            (key == "X-GNOME-Autostart-enabled" && value == "false")) {
            return false;
        }
    }
    return true;
}

Status setStartAtLogin(bool enabled, const QString& executable)
{
    const QString path = autostartEntryPath();
    if (!enabled) {
        QFile file(path);
        if (file.exists() && !file.remove()) {
            return failure(QObject::tr("Could not remove %1: %2")
                               .arg(QDir::toNativeSeparators(path), file.errorString()));
        }
        return success();
    }

    if (executable.isEmpty()) {
        return failure(QObject::tr("The wallet's program file is unknown, so it cannot be "
                                   "started at login."));
    }
    const QString folder = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(folder)) {
        return failure(
            QObject::tr("Could not create the folder %1.").arg(QDir::toNativeSeparators(folder)));
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return failure(QObject::tr("Could not write %1: %2")
                           .arg(QDir::toNativeSeparators(path), file.errorString()));
    }
    const QByteArray content = entryContent(executable);
    if (file.write(content) != content.size() || !file.commit()) {
        return failure(QObject::tr("Could not write %1: %2")
                           .arg(QDir::toNativeSeparators(path), file.errorString()));
    }
    return success();
}

} // namespace l402::ui
