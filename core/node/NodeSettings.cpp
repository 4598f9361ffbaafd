#include "core/node/NodeSettings.h"

#include "core/node/ClnNode.h"
#include "core/node/DemoNode.h"
#include "core/node/LnbitsNode.h"
#include "core/node/LndNode.h"
#include "core/node/NwcNode.h"
#include "core/node/PhoenixdNode.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QSslCertificate>
#include <QTimer>
#include <QUrl>

namespace l402::node {

QJsonObject NodeSettings::redacted() const
{
    QJsonObject out = settings;
    out.insert(QStringLiteral("backend"), backend);
    out.remove(QStringLiteral("cert_pem"));
    if (settings.contains(QStringLiteral("cert_pem"))) {
        const auto certificates = QSslCertificate::fromData(
            settings.value(QStringLiteral("cert_pem")).toString().toLatin1(), QSsl::Pem);
        if (!certificates.isEmpty()) {
            out.insert(QStringLiteral("cert_sha256"),
                       QString::fromLatin1(
                           certificates.first().digest(QCryptographicHash::Sha256).toHex()));
        }
    }
    if (!secret.isEmpty()) {
        out.insert(QStringLiteral("secret"), QStringLiteral("(set, %1 bytes)").arg(secret.size()));
    }
    return out;
}

Status NodeSettingsRepository::save(const NodeSettings& settings, int64_t now)
{
    auto transaction = store::Transaction::begin(m_database);
    if (!transaction) {
        return Status(transaction.error());
    }
    // SQLite 3.15 has no UPSERT: the single row is replaced inside one transaction.
    if (auto cleared = m_database.exec("DELETE FROM node_config"); !cleared) {
        return cleared;
    }
    auto statement = m_database.prepare("INSERT INTO node_config (id, backend, settings, secret, "
                                        "updated_at) VALUES (1, ?1, ?2, ?3, ?4)");
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, settings.backend)
        .bind(2, QString::fromUtf8(QJsonDocument(settings.settings).toJson(QJsonDocument::Compact)))
        .bind(3, QByteArrayView(settings.secret))
        .bind(4, now);
    if (auto inserted = statement->run(); !inserted) {
        return inserted;
    }
    return (*transaction)->commit();
}

Result<std::optional<NodeSettings>> NodeSettingsRepository::load()
{
    using R = Result<std::optional<NodeSettings>>;
    auto statement =
        m_database.prepare("SELECT backend, settings, secret FROM node_config WHERE id = 1");
    if (!statement) {
        return R(statement.error());
    }
    auto row = statement->step();
    if (!row) {
        return R(row.error());
    }
    if (!row.value()) {
        return std::optional<NodeSettings>();
    }
    NodeSettings settings;
    settings.backend = statement->text(0);
    settings.settings = QJsonDocument::fromJson(statement->text(1).toUtf8()).object();
    settings.secret = statement->blob(2);
    return std::optional(settings);
}

Result<std::unique_ptr<LightningNode>> createNode(const NodeSettings& settings)
{
    using R = Result<std::unique_ptr<LightningNode>>;
    if (settings.backend == QLatin1String("lnd")) {
        LndNode::Config config;
        config.url = QUrl(settings.settings.value(QStringLiteral("url")).toString());
        config.macaroon = settings.secret;
        config.tlsCertificate = QSslCertificate::fromData(
            settings.settings.value(QStringLiteral("cert_pem")).toString().toLatin1(), QSsl::Pem);
        config.spkiPin = QByteArray::fromHex(
            settings.settings.value(QStringLiteral("spki_pin")).toString().toLatin1());
        if (!config.url.isValid() || config.url.scheme() != QLatin1String("https") ||
            config.macaroon.isEmpty()) {
            return R::failure(
                QStringLiteral("node_settings"),
                QStringLiteral("The LND settings need an https:// URL and a macaroon."));
        }
        return R(std::unique_ptr<LightningNode>(new LndNode(std::move(config))));
    }
    if (settings.backend == QLatin1String("nwc")) {
        // settings.uri is the connection URI without its secret; the secret (the client's
        // 32-byte Nostr key) is the stored node secret.
        auto config = NwcNode::fromStoredSettings(
            settings.settings.value(QStringLiteral("uri")).toString(), settings.secret);
        if (!config) {
            return R(config.error());
        }
        config->networkWithoutInfo =
            protocol::networkFromName(settings.settings.value(QStringLiteral("network")).toString())
                .value_or(protocol::Network::Bitcoin);
        return R(std::unique_ptr<LightningNode>(new NwcNode(std::move(config.value()))));
    }
    if (settings.backend == QLatin1String("cln")) {
        ClnNode::Config config;
        config.url = QUrl(settings.settings.value(QStringLiteral("url")).toString());
        config.rune = settings.secret;
        // clnrest's ca.pem (node set cln --cert); none: the system store (a proxy's public CA).
        config.caCertificates = QSslCertificate::fromData(
            settings.settings.value(QStringLiteral("cert_pem")).toString().toLatin1(), QSsl::Pem);
        config.spkiPin = QByteArray::fromHex(
            settings.settings.value(QStringLiteral("spki_pin")).toString().toLatin1());
        if (!config.url.isValid() || config.url.scheme() != QLatin1String("https") ||
            config.rune.isEmpty()) {
            return R::failure(
                QStringLiteral("node_settings"),
                QStringLiteral("The Core Lightning settings need an https:// URL and a rune."));
        }
        return R(std::unique_ptr<LightningNode>(new ClnNode(std::move(config))));
    }
    if (settings.backend == QLatin1String("lnbits")) {
        LnbitsNode::Config config;
        config.url = QUrl(settings.settings.value(QStringLiteral("url")).toString());
        config.adminKey = settings.secret;
        config.caCertificates = QSslCertificate::fromData(
            settings.settings.value(QStringLiteral("cert_pem")).toString().toLatin1(), QSsl::Pem);
        // LNbits does not say which chain its funding source is on.
        config.network =
            protocol::networkFromName(settings.settings.value(QStringLiteral("network")).toString())
                .value_or(protocol::Network::Bitcoin);
        const QString scheme = config.url.scheme();
        if (!config.url.isValid() ||
            (scheme != QLatin1String("https") && scheme != QLatin1String("http")) ||
            config.adminKey.isEmpty()) {
            return R::failure(
                QStringLiteral("node_settings"),
                QStringLiteral("The LNbits settings need an http(s):// URL and an admin key."));
        }
        return R(std::unique_ptr<LightningNode>(new LnbitsNode(std::move(config))));
    }
    if (settings.backend == QLatin1String("phoenixd")) {
        PhoenixdNode::Config config;
        config.url = QUrl(settings.settings.value(QStringLiteral("url")).toString());
        config.password = settings.secret;
        const QString scheme = config.url.scheme();
        if (!config.url.isValid() ||
            (scheme != QLatin1String("https") && scheme != QLatin1String("http")) ||
            config.password.isEmpty()) {
            return R::failure(
                QStringLiteral("node_settings"),
                QStringLiteral("The phoenixd settings need an http:// URL and the http password."));
        }
        return R(std::unique_ptr<LightningNode>(new PhoenixdNode(std::move(config))));
    }
    if (settings.backend == QLatin1String("demo")) {
        // Simulated funds that start afresh with each process; it pays only the demo payee.
        return R(std::unique_ptr<LightningNode>(new DemoNode(std::make_shared<DemoLedger>())));
    }
    return R::failure(
        QStringLiteral("node_backend_unavailable"),
        QStringLiteral("The %1 backend is not available in this build yet.").arg(settings.backend));
}

namespace {

class UnconfiguredNode final : public LightningNode {
public:
    QString backendName() const override { return QStringLiteral("none"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override
    {
        return later([done] { done(Result<NodeInfo>(noNode())); });
    }
    CallHandle balance(std::function<void(Result<Balance>)> done) override
    {
        return later([done] { done(Result<Balance>(noNode())); });
    }
    CallHandle pay(const PayRequest&, std::function<void(PaymentResult)> done) override
    {
        // Nothing was sent anywhere: a definite failure, never an uncertain one.
        return later([done] {
            const Error error = noNode();
            done(PaymentResult::failed(error.code, error.message));
        });
    }
    CallHandle lookup(const QByteArray&, std::function<void(Result<PaymentResult>)> done) override
    {
        return later([done] { done(Result<PaymentResult>(noNode())); });
    }

private:
    static Error noNode()
    {
        return Error{QLatin1String(kNoNode),
                     QStringLiteral("No Lightning node is connected yet: set one up on the "
                                    "Node page or with 'l402-wallet node set'.")};
    }
    // Answers on the caller's thread, after the call returns, like every backend.
    static CallHandle later(std::function<void()> answer)
    {
        CallHandle handle;
        QTimer::singleShot(0, [handle, answer = std::move(answer)] {
            if (!handle.cancelled()) {
                answer();
            }
        });
        return handle;
    }
};

Error usage(const QString& message)
{
    return Error{QStringLiteral("usage"), message};
}

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

// Secrets given as option values sit in /proc/<pid>/cmdline, readable by every local user
// while the command runs; --NAME-file PATH (or '-' for standard input) keeps them off it.
// One line is read: a trailing newline (as echo and most editors leave) is not part of it.
Result<QByteArray> readSecretFile(const QString& path, const QString& what)
{
    QFile file;
    const bool opened = path == QLatin1String("-")
                            ? file.open(stdin, QIODevice::ReadOnly)
                            : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened) {
        return Result<QByteArray>::failure(
            QStringLiteral("file"), QStringLiteral("Cannot read the %1 file %2.").arg(what, path));
    }
    constexpr qint64 kMaxSecret = 64 * 1024;
    QByteArray content = file.read(kMaxSecret + 1);
    if (content.size() > kMaxSecret) {
        return Result<QByteArray>(
            usage(QStringLiteral("The %1 file is larger than 64 KiB: not a %1.").arg(what)));
    }
    const qsizetype newline = content.indexOf('\n');
    if (newline >= 0 && !content.mid(newline).trimmed().isEmpty()) {
        return Result<QByteArray>(
            usage(QStringLiteral("The %1 file has more than one line; it should hold the %1 alone.")
                      .arg(what)));
    }
    content = content.left(newline < 0 ? content.size() : newline);
    if (content.endsWith('\r')) {
        content.chop(1);
    }
    if (content.trimmed().isEmpty()) {
        return Result<QByteArray>(usage(QStringLiteral("The %1 file is empty.").arg(what)));
    }
    return content;
}

// The secret named by `option`: from `option`-file, or (kept for scripts, warned about by
// the CLI) from the option's own value; never both.
Result<QByteArray> secretOption(const QHash<QString, QString>& options, const QString& option,
                                const QString& what)
{
    const QString fileOption = option + QLatin1String("-file");
    const bool plain = options.contains(option);
    const bool fromFile = options.contains(fileOption);
    if (plain && fromFile) {
        return Result<QByteArray>(
            usage(QStringLiteral("Give %1 or %2, not both.").arg(option, fileOption)));
    }
    if (fromFile) {
        return readSecretFile(options.value(fileOption), what);
    }
    if (plain) {
        return options.value(option).toUtf8();
    }
    return Result<QByteArray>(usage(QStringLiteral("missing %1").arg(fileOption)));
}

bool hasSecret(const QHash<QString, QString>& options, const QString& option)
{
    return options.contains(option) || options.contains(option + QLatin1String("-file"));
}

// nostr+walletconnect://<wallet key>?relay=..&secret=..: the secret is the client's Nostr
// key, so it becomes the stored node secret and the URI is kept without it.
Result<NodeSettings> nwcSettings(const QString& uri)
{
    auto config = NwcNode::parseUri(uri);
    if (!config) {
        return Result<NodeSettings>(config.error());
    }
    NodeSettings settings;
    settings.backend = QStringLiteral("nwc");
    settings.settings.insert(QStringLiteral("uri"), NwcNode::uriWithoutSecret(config.value()));
    settings.secret = config->secret;
    return settings;
}

// Reads --cert FILE (PEM) into settings["cert_pem"] when given.
Status addCertificate(const QHash<QString, QString>& options, NodeSettings& settings)
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

} // namespace

Result<NodeSettings> settingsFromArguments(const QStringList& arguments)
{
    using R = Result<NodeSettings>;
    if (arguments.isEmpty()) {
        return R(usage(QStringLiteral(
            "node set needs a backend (lnd, cln, lnbits, phoenixd, nwc, demo) or --uri.")));
    }
    NodeSettings settings;
    if (arguments.first() == QLatin1String("--uri") ||
        arguments.first().startsWith(QLatin1String("--uri=")) ||
        arguments.first() == QLatin1String("--uri-file") ||
        arguments.first().startsWith(QLatin1String("--uri-file="))) {
        auto options =
            parseOptions(arguments, {QStringLiteral("--uri"), QStringLiteral("--uri-file")});
        if (!options) {
            return R(options.error());
        }
        auto secretUri =
            secretOption(options.value(), QStringLiteral("--uri"), QStringLiteral("URI"));
        if (!secretUri) {
            return R(secretUri.error());
        }
        const QString uri = QString::fromUtf8(secretUri.value()).trimmed();
        if (uri.startsWith(QLatin1String("lndconnect://"))) {
            auto config = LndNode::parseLndConnect(uri);
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
        auto options = parseOptions(rest, {QStringLiteral("--uri"), QStringLiteral("--uri-file"),
                                           QStringLiteral("--network")});
        if (!options) {
            return R(options.error());
        }
        if (!hasSecret(options.value(), QStringLiteral("--uri"))) {
            return R(
                usage(QStringLiteral("node set nwc needs --uri-file FILE (or -) holding "
                                     "nostr+walletconnect://<wallet key>?relay=...&secret=....")));
        }
        auto uri = secretOption(options.value(), QStringLiteral("--uri"), QStringLiteral("URI"));
        if (!uri) {
            return R(uri.error());
        }
        auto nwc = nwcSettings(QString::fromUtf8(uri.value()).trimmed());
        if (nwc && options->contains(QStringLiteral("--network"))) {
            // Only used when the wallet service has no get_info to tell.
            const QString network = options->value(QStringLiteral("--network"));
            if (!protocol::networkFromName(network)) {
                return R(usage(
                    QStringLiteral("--network must be bitcoin, testnet, signet or regtest.")));
            }
            nwc->settings.insert(QStringLiteral("network"), network.toLower());
        }
        return nwc;
    }
    if (settings.backend == QLatin1String("cln")) {
        auto options =
            parseOptions(rest, {QStringLiteral("--url"), QStringLiteral("--rune"),
                                QStringLiteral("--rune-file"), QStringLiteral("--cert")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !hasSecret(options.value(), QStringLiteral("--rune"))) {
            return R(usage(QStringLiteral(
                "node set cln needs --url URL and --rune-file FILE (or - for standard input).")));
        }
        auto rune = secretOption(options.value(), QStringLiteral("--rune"), QStringLiteral("rune"));
        if (!rune) {
            return R(rune.error());
        }
        const QUrl url(options->value(QStringLiteral("--url")));
        if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty()) {
            return R(usage(QStringLiteral(
                "--url must be clnrest's https:// URL, such as https://127.0.0.1:3010.")));
        }
        settings.settings.insert(QStringLiteral("url"), url.toString());
        settings.secret = rune.value().trimmed();
        // --cert: clnrest's ca.pem (in <lightning-dir>/<network>/), the only trust anchor.
        if (auto added = addCertificate(options.value(), settings); !added) {
            return R(added.error());
        }
        return settings;
    }
    if (settings.backend == QLatin1String("lnbits")) {
        auto options = parseOptions(rest, {QStringLiteral("--url"), QStringLiteral("--admin-key"),
                                           QStringLiteral("--admin-key-file"),
                                           QStringLiteral("--cert"), QStringLiteral("--network")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !hasSecret(options.value(), QStringLiteral("--admin-key"))) {
            return R(usage(QStringLiteral("node set lnbits needs --url URL and --admin-key-file "
                                          "FILE (or - for standard input).")));
        }
        auto adminKey = secretOption(options.value(), QStringLiteral("--admin-key"),
                                     QStringLiteral("admin key"));
        if (!adminKey) {
            return R(adminKey.error());
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
        settings.secret = adminKey.value().trimmed();
        if (auto added = addCertificate(options.value(), settings); !added) {
            return R(added.error());
        }
        return settings;
    }
    if (settings.backend == QLatin1String("phoenixd")) {
        auto options = parseOptions(rest, {QStringLiteral("--url"), QStringLiteral("--password"),
                                           QStringLiteral("--password-file")});
        if (!options) {
            return R(options.error());
        }
        if (!options->contains(QStringLiteral("--url")) ||
            !hasSecret(options.value(), QStringLiteral("--password"))) {
            return R(usage(QStringLiteral(
                "node set phoenixd needs --url URL and --password-file FILE (or - for standard "
                "input) holding http-password from ~/.phoenix/phoenix.conf.")));
        }
        auto password =
            secretOption(options.value(), QStringLiteral("--password"), QStringLiteral("password"));
        if (!password) {
            return R(password.error());
        }
        const QUrl url(options->value(QStringLiteral("--url")));
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
            return R(usage(
                QStringLiteral("--url must be an http:// URL, such as http://127.0.0.1:9740.")));
        }
        settings.settings.insert(QStringLiteral("url"), url.toString());
        settings.secret = password.value();
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

const QStringList& plainSecretOptions()
{
    // NodeSettingsTest checks every entry has a working --NAME-file form.
    static const QStringList options{QStringLiteral("--password"), QStringLiteral("--rune"),
                                     QStringLiteral("--admin-key"), QStringLiteral("--uri")};
    return options;
}

QStringList secretsOnCommandLine(const QStringList& arguments)
{
    QStringList found;
    for (const QString& argument : arguments) {
        const QString name = argument.section(QLatin1Char('='), 0, 0);
        if (plainSecretOptions().contains(name) && !found.contains(name)) {
            found.append(name);
        }
    }
    return found;
}

std::unique_ptr<LightningNode> makeUnconfiguredNode()
{
    return std::make_unique<UnconfiguredNode>();
}

} // namespace l402::node
