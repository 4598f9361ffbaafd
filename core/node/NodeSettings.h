#pragma once

#include "core/node/LightningNode.h"
#include "core/store/Database.h"
#include "core/util/Result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

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

// The settings `node set` takes, from its arguments: `lnd --url URL --macaroon FILE [--cert
// FILE]`, `cln --url URL --rune-file FILE [--cert FILE]`, `lnbits --url URL --admin-key-file
// FILE [--cert FILE] [--network N]`, `phoenixd --url URL --password-file FILE`, `nwc
// --uri-file FILE [--network N]`, `demo`, or `--uri-file FILE` holding lndconnect://.. or
// nostr+walletconnect://... A secret file may be `-` (standard input); each --NAME-file also
// has a plain --NAME VALUE form (the window's node form uses it in-process; on a command line
// it is readable by every local user). Files are read here. The window's node form builds the
// same arguments, so both check settings alike. Errors have the code `usage`.
Result<NodeSettings> settingsFromArguments(const QStringList& arguments);

// The plain secret options among `node set` arguments (--password, --rune, --admin-key,
// --uri), for the CLI to warn that /proc/<pid>/cmdline shows them.
QStringList secretsOnCommandLine(const QStringList& arguments);
// The table both use: the options whose value is a secret; each has a --NAME-file form.
const QStringList& plainSecretOptions();

// The node of a wallet that has none yet: every call fails with `no_node`, saying how to set
// one up. The window and `serve` run with it, so the data, the settings and the proxy are
// usable (paid requests get a clear refusal) until a node is connected.
std::unique_ptr<LightningNode> makeUnconfiguredNode();
inline constexpr auto kNoNode = "no_node";

// Builds the backend for stored settings; a clear error for backends this build lacks.
Result<std::unique_ptr<LightningNode>> createNode(const NodeSettings& settings);

} // namespace l402::node
