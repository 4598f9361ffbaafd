#include "app/Commands.h"
#include "app/WalletSession.h"
#include "core/node/LndNode.h"
#include "core/node/NodeSettings.h"
#include "core/node/NwcNode.h"
#include "core/util/Money.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSslCertificate>

#include <cstdio>
#include <memory>

namespace l402::app {
namespace {

// Parses `--name value` pairs; every option must be known and have a value.
Result<QHash<QString, QString>> parseOptions(const QStringList& arguments, const QStringList& known)
{
    QHash<QString, QString> values;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        QString name = arguments.at(i);
        QString value;
        const qsizetype equals = name.indexOf(QLatin1Char('='));
        if (equals > 0) {
            value = name.mid(equals + 1);
            name = name.left(equals);
        } else if (i + 1 < arguments.size()) {
            value = arguments.at(++i);
        }
        if (!known.contains(name)) {
            return Result<QHash<QString, QString>>(
                usage(QStringLiteral("Unknown option %1.").arg(name)));
        }
        if (value.isEmpty()) {
            return Result<QHash<QString, QString>>(
                usage(QStringLiteral("%1 needs a value.").arg(name)));
        }
        values.insert(name, value);
    }
    return values;
}

Result<QByteArray> readFile(const QString& path, const QString& what)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Result<QByteArray>::failure(
            QStringLiteral("file"), QStringLiteral("Cannot read the %1 file %2.").arg(what, path));
    }
    return file.read(1024 * 1024);
}

// nostr+walletconnect://<wallet key>?relay=..&secret=..: the secret is the client's Nostr
// key, so it becomes the stored node secret and the URI is kept without it.
Result<node::NodeSettings> nwcSettings(const QString& uri)
{
    auto config = node::NwcNode::parseUri(uri);
    if (!config) {
        return Result<node::NodeSettings>(config.error());
    }
    node::NodeSettings settings;
    settings.backend = QStringLiteral("nwc");
    settings.settings.insert(QStringLiteral("uri"),
                             node::NwcNode::uriWithoutSecret(config.value()));
    settings.secret = config->secret;
    return settings;
}

// Reads --cert FILE (PEM) into settings["cert_pem"] when given.
Status addCertificate(const QHash<QString, QString>& options, node::NodeSettings& settings)
{
    if (!options.contains(QStringLiteral("--cert"))) {
        return success();
    }
    auto pem = readFile(options.value(QStringLiteral("--cert")), QStringLiteral("certificate"));
    if (!pem) {
        return Status(pem.error());
    }
    const auto certificates = QSslCertificate::fromData(pem.value(), QSsl::Pem);
    if (certificates.isEmpty()) {
        return Status(usage(QStringLiteral("The certificate file is not a PEM certificate.")));
    }
    settings.settings.insert(QStringLiteral("cert_pem"),
                             QString::fromLatin1(certificates.first().toPem()));
    return success();
}

Result<node::NodeSettings> settingsFromArguments(const QStringList& arguments)
{
    using R = Result<node::NodeSettings>;
    if (arguments.isEmpty()) {
        return R(usage(QStringLiteral(
            "node set needs a backend (lnd, cln, lnbits, phoenixd, nwc, demo) or --uri.")));
    }
    node::NodeSettings settings;
    if (arguments.first() == QLatin1String("--uri") ||
        arguments.first().startsWith(QLatin1String("--uri="))) {
        auto options = parseOptions(arguments, {QStringLiteral("--uri")});
        if (!options) {
            return R(options.error());
        }
        const QString uri = options->value(QStringLiteral("--uri"));
        if (uri.startsWith(QLatin1String("lndconnect://"))) {
            auto config = node::LndNode::parseLndConnect(uri);
            if (!config) {
                return R(config.error());
            }
            settings.backend = QStringLiteral("lnd");
            settings.settings.insert(QStringLiteral("url"), config->url.toString());
            if (!config->tlsCertificate.isEmpty()) {
                settings.settings.insert(
                    QStringLiteral("cert_pem"),
                    QString::fromLatin1(config->tlsCertificate.first().toPem()));
            }
            settings.secret = config->macaroon;
            return settings;
        }
        if (uri.startsWith(QLatin1String("nostr+walletconnect:"), Qt::CaseInsensitive)) {
            return nwcSettings(uri);
        }
        return R(
            usage(QStringLiteral("--uri takes an lndconnect:// or nostr+walletconnect:// URI.")));
    }
    settings.backend = arguments.first();
    const QStringList rest = arguments.mid(1);
    if (settings.backend == QLatin1String("lnd")) {
        auto options = parseOptions(rest, {QStringLiteral("--url"), QStringLiteral("--macaroon"),
                                           QStringLiteral("--cert")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !options->contains(QStringLiteral("--macaroon"))) {
            return R(usage(QStringLiteral("node set lnd needs --url URL and --macaroon FILE.")));
        }
        const QUrl url(options->value(QStringLiteral("--url")));
        if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty()) {
            return R(usage(
                QStringLiteral("--url must be an https:// URL, such as https://127.0.0.1:8080.")));
        }
        auto macaroon =
            readFile(options->value(QStringLiteral("--macaroon")), QStringLiteral("macaroon"));
        if (!macaroon) {
            return R(macaroon.error());
        }
        settings.settings.insert(QStringLiteral("url"), url.toString());
        settings.secret = macaroon.value();
        if (options->contains(QStringLiteral("--cert"))) {
            auto pem =
                readFile(options->value(QStringLiteral("--cert")), QStringLiteral("certificate"));
            if (!pem) {
                return R(pem.error());
            }
            const auto certificates = QSslCertificate::fromData(pem.value(), QSsl::Pem);
            if (certificates.isEmpty()) {
                return R(usage(QStringLiteral("The certificate file is not a PEM certificate.")));
            }
            settings.settings.insert(QStringLiteral("cert_pem"),
                                     QString::fromLatin1(certificates.first().toPem()));
        }
        return settings;
    }
    if (settings.backend == QLatin1String("nwc")) {
        auto options = parseOptions(rest, {QStringLiteral("--uri")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--uri"))) {
            return R(usage(QStringLiteral("node set nwc needs --uri nostr+walletconnect://<wallet "
                                          "key>?relay=...&secret=....")));
        }
        return nwcSettings(options->value(QStringLiteral("--uri")));
    }
    if (settings.backend == QLatin1String("cln")) {
        auto options = parseOptions(
            rest, {QStringLiteral("--url"), QStringLiteral("--rune"), QStringLiteral("--cert")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !options->contains(QStringLiteral("--rune"))) {
            return R(usage(QStringLiteral("node set cln needs --url URL and --rune RUNE.")));
        }
        const QUrl url(options->value(QStringLiteral("--url")));
        if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty()) {
            return R(usage(QStringLiteral(
                "--url must be clnrest's https:// URL, such as https://127.0.0.1:3010.")));
        }
        settings.settings.insert(QStringLiteral("url"), url.toString());
        settings.secret = options->value(QStringLiteral("--rune")).toUtf8();
        // --cert: clnrest's ca.pem (in <lightning-dir>/<network>/), the only trust anchor.
        if (auto added = addCertificate(options.value(), settings); !added) {
            return R(added.error());
        }
        return settings;
    }
    if (settings.backend == QLatin1String("lnbits")) {
        auto options = parseOptions(rest, {QStringLiteral("--url"), QStringLiteral("--admin-key"),
                                           QStringLiteral("--cert"), QStringLiteral("--network")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !options->contains(QStringLiteral("--admin-key"))) {
            return R(usage(QStringLiteral("node set lnbits needs --url URL and --admin-key KEY.")));
        }
        const QUrl url(options->value(QStringLiteral("--url")));
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
            return R(usage(QStringLiteral(
                "--url must be an http:// or https:// URL, such as http://192.168.1.20:5000.")));
        }
        const QString network =
            options->value(QStringLiteral("--network"), QStringLiteral("bitcoin"));
        if (!protocol::networkFromName(network)) {
            return R(
                usage(QStringLiteral("--network must be bitcoin, testnet, signet or regtest.")));
        }
        settings.settings.insert(QStringLiteral("url"), url.toString());
        settings.settings.insert(QStringLiteral("network"), network.toLower());
        settings.secret = options->value(QStringLiteral("--admin-key")).toUtf8();
        if (auto added = addCertificate(options.value(), settings); !added) {
            return R(added.error());
        }
        return settings;
    }
    if (settings.backend == QLatin1String("phoenixd")) {
        auto options = parseOptions(rest, {QStringLiteral("--url"), QStringLiteral("--password")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !options->contains(QStringLiteral("--password"))) {
            return R(usage(QStringLiteral("node set phoenixd needs --url URL and --password PW "
                                          "(http-password in ~/.phoenix/phoenix.conf).")));
        }
        const QUrl url(options->value(QStringLiteral("--url")));
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
            return R(usage(
                QStringLiteral("--url must be an http:// URL, such as http://127.0.0.1:9740.")));
        }
        settings.settings.insert(QStringLiteral("url"), url.toString());
        settings.secret = options->value(QStringLiteral("--password")).toUtf8();
        return settings;
    }
    if (settings.backend == QLatin1String("demo")) {
        if (!rest.isEmpty()) {
            return R(usage(QStringLiteral("node set demo takes no options.")));
        }
        settings.settings.insert(QStringLiteral("simulated_funds"), true);
        return settings;
    }
    return R(usage(QStringLiteral("Unknown backend '%1' (lnd, cln, lnbits, phoenixd, nwc, demo).")
                       .arg(settings.backend)));
}

} // namespace

int runNode(const GlobalOptions& options)
{
    const QString action = options.arguments.value(0);
    const QStringList rest = options.arguments.mid(1);
    if (action == QLatin1String("set")) {
        auto settings = settingsFromArguments(rest);
        if (!settings) {
            return reportError(options, settings.error(),
                               settings.error().code == QLatin1String("usage") ? kExitUsage
                                                                               : kExitError);
        }
        return runWithWallet(options, [&](store::WalletStore& wallet,
                                          std::function<void(int)> finish) {
            node::NodeSettingsRepository repository(wallet.database());
            if (auto saved =
                    repository.save(settings.value(), SystemClock::instance().nowSeconds());
                !saved) {
                finish(reportError(options, saved.error()));
                return;
            }
            if (options.json) {
                printJson(settings->redacted());
            } else {
                printLine(QStringLiteral(
                              "Node set: %1. Run 'l402-wallet node test' to check the connection.")
                              .arg(settings->backend));
            }
            finish(kExitOk);
        });
    }
    if (action != QLatin1String("show") && action != QLatin1String("test") &&
        action != QLatin1String("balance")) {
        return reportError(options, usage(QStringLiteral("node takes set, show, test or balance.")),
                           kExitUsage);
    }
    if (!rest.isEmpty()) {
        return reportError(
            options, usage(QStringLiteral("node %1 takes no arguments.").arg(action)), kExitUsage);
    }
    std::unique_ptr<node::LightningNode> lightning;
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        auto settings = node::NodeSettingsRepository(wallet.database()).load();
        if (!settings) {
            finish(reportError(options, settings.error()));
            return;
        }
        if (!settings.value()) {
            finish(reportError(
                options, Error{QStringLiteral("no_node"),
                               QStringLiteral("No node is set; use 'l402-wallet node set'.")}));
            return;
        }
        const node::NodeSettings current = *settings.value();
        if (action == QLatin1String("show")) {
            if (options.json) {
                printJson(current.redacted());
            } else {
                const QJsonObject shown = current.redacted();
                for (auto it = shown.begin(); it != shown.end(); ++it) {
                    printLine(
                        QStringLiteral("%1: %2").arg(it.key(), it.value().toVariant().toString()));
                }
            }
            finish(kExitOk);
            return;
        }
        auto created = node::createNode(current);
        if (!created) {
            finish(reportError(options, created.error()));
            return;
        }
        lightning = std::move(created.value());
        lightning->balance([&, action, finish](Result<node::Balance> balance) {
            if (!balance) {
                finish(reportError(options, balance.error()));
                return;
            }
            const int64_t spendable = balance->spendableMsat;
            if (action == QLatin1String("balance")) {
                if (options.json) {
                    printJson(QJsonObject{{QStringLiteral("spendable_msat"), qint64(spendable)}});
                } else {
                    printLine(QStringLiteral("Spendable: %1")
                                  .arg(formatMsatAsSat(static_cast<uint64_t>(spendable))));
                }
                finish(kExitOk);
                return;
            }
            lightning->info([&, spendable, finish](Result<node::NodeInfo> info) {
                if (!info) {
                    finish(reportError(options, info.error()));
                    return;
                }
                if (options.json) {
                    printJson(QJsonObject{
                        {QStringLiteral("backend"), info->backend},
                        {QStringLiteral("alias"), info->alias},
                        {QStringLiteral("pubkey"), QString::fromLatin1(info->pubkey.toHex())},
                        {QStringLiteral("network"), protocol::networkName(info->network)},
                        {QStringLiteral("spendable_msat"), qint64(spendable)}});
                } else {
                    printLine(
                        QStringLiteral("Connected to %1 (%2) on %3, %4 spendable.")
                            .arg(info->alias.isEmpty() ? QStringLiteral("the node") : info->alias,
                                 info->backend, protocol::networkName(info->network),
                                 formatMsatAsSat(static_cast<uint64_t>(spendable))));
                }
                finish(kExitOk);
            });
        });
    });
}

} // namespace l402::app
