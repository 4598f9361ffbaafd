#pragma once

#include "core/node/LightningNode.h"
#include "core/store/Database.h"
#include "core/util/Result.h"

#include <QJsonObject>
#include <QString>

#include <memory>

namespace l402::node {

// What `node set` stores: the backend, its non-secret settings (URL, certificate), and its
// one secret (macaroon, rune, API key, password, NWC secret). All of it lives in the
// encrypted database; nothing is written to a plain file.
struct NodeSettings {
    QString backend;      // lnd | cln | lnbits | phoenixd | nwc | demo
    QJsonObject settings; // url, cert_pem, spki_pin, ...
    QByteArray secret;

    // For `node show`: every setting, with the secret reduced to its kind and length.
    QJsonObject redacted() const;
};

class NodeSettingsRepository {
public:
    explicit NodeSettingsRepository(store::Database& database)
        : m_database(database)
    {
    }
    Status save(const NodeSettings& settings, int64_t now);
    Result<std::optional<NodeSettings>> load();

private:
    store::Database& m_database;
};

// Builds the backend for stored settings; a clear error for backends this build lacks.
Result<std::unique_ptr<LightningNode>> createNode(const NodeSettings& settings);

} // namespace l402::node
