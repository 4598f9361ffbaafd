#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace l402::control {

// Who may run an operation through the wallet's interfaces (DESIGN §3.8). The agents the
// wallet serves run as the user's own Unix user, so "same user" proves nothing: an operation
// is open to anyone who reaches the wallet only when it cannot loosen the purse.
enum class Access {
    Read,  // shows data that holds no secret (history, budgets, agent names, approvals)
    Brake, // only ever stops spending (pause, deny): never gated, so it always works
    Agent, // spends or reveals a token: needs an agent credential, and acts as that agent only
    Owner, // loosens the purse: needs owner proof (a click in the window, or the passphrase
           // or owner PIN typed on the controlling terminal)
};
QString accessName(Access access); // read|brake|agent|owner

struct Operation {
    const char* name; // "budget set", "approve", "pay"
    Access access;
    const char* summary; // what it does, for the threat model table and --help
};

// The one table of every operation a caller can ask of the wallet, through the control
// socket or the CLI opening the wallet itself. An operation missing from it is refused as an
// owner operation (default deny); tests/e2e/TrustBoundaryTest checks that every control command
// and every CLI data command is in it.
const QList<Operation>& operations();
std::optional<Operation> findOperation(QStringView name);
// Owner when the operation is unknown.
Access accessOf(QStringView operationName);

// The operation a data command's words name: "budget set" for `budget set X --daily 5`,
// "history" for `history --limit 3`, "agent pause" for `agent pause bot`.
QString operationName(const QString& command, const QStringList& arguments);
QString operationName(const QString& command, const QJsonArray& arguments);
// The operation a control-socket request asks for: its "cmd", or for "run" the data
// command's words.
QString operationOf(const QJsonObject& request);

// The owner's view of a request, for the window's confirmation and the terminal prompt:
// "allow "*" to spend without limit", "approve the payment a1b2 and remember it always".
QString describeEffect(const QString& command, const QStringList& arguments);

} // namespace l402::control
