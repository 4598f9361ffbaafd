#pragma once

#include "core/protocol/Bolt11.h"
#include "core/protocol/Macaroon.h"
#include "core/util/Result.h"

#include <QJsonObject>

namespace l402::protocol {

// Offline decoding of whatever a user or agent pastes: a BOLT 11 invoice, a macaroon or a
// WWW-Authenticate value. The JSON shapes are the `decode --json` contract (DESIGN §4) and
// are shared by the CLI and the MCP `decode` tool.
QJsonObject invoiceToJson(const Invoice& invoice);
QJsonObject macaroonToJson(const Macaroon& macaroon);

enum class InputKind { Invoice, Macaroon, Challenge };
Result<std::pair<InputKind, QJsonObject>> decodeAnything(QStringView input);

// A readable multi-line rendering of the same JSON for terminals.
QString describeForHumans(InputKind kind, const QJsonObject& decoded);

} // namespace l402::protocol
