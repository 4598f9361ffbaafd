#pragma once

#include "core/store/WalletStore.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace l402::app {

// A secret typed by a person on this process's controlling terminal (/dev/tty), echo off.
// Never from stdin, the environment or a file: an agent that drives the CLI through pipes has
// no terminal, so it is refused (nullopt) rather than asked. `prompt` goes to the terminal.
std::optional<QByteArray> readSecretFromTerminal(const QString& prompt);

// Sends a control request; when the running wallet answers owner_confirmation_required and a
// person is at a terminal, shows `effect`, asks for the passphrase or owner PIN (up to three
// tries) and sends the request again with it. Waiting for the window's confirmation is shown
// on stderr.
Result<QJsonObject> ownerControlRequest(const QString& dataDir, QJsonObject request,
                                        const QString& effect);

// Owner proof for a keychain-mode wallet opened by this process (the keychain hands its key to
// any program of the user, so unlocking proves nothing): the owner PIN typed on the terminal,
// counted against the same rate limit as the socket's proofs. A wallet with no agents and no
// PIN yet is a fresh one its owner is setting up.
Status proveOwnerByPin(store::WalletStore& wallet, const QString& operation, const QString& effect);

} // namespace l402::app
