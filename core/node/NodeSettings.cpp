#include "core/node/NodeSettings.h"

#include "core/node/ClnNode.h"
#include "core/node/DemoNode.h"
#include "core/node/LnbitsNode.h"
#include "core/node/LndNode.h"
#include "core/node/NwcNode.h"
#include "core/node/PhoenixdNode.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QSslCertificate>

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

} // namespace l402::node
