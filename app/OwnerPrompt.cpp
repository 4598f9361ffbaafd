#include "app/OwnerPrompt.h"

#include "app/Commands.h"
#include "app/WalletSession.h"
#include "core/control/ControlCommands.h"
#include "core/control/ControlServer.h"
#include "core/policy/Agents.h"
#include "core/policy/OwnerProof.h"

#include <QCoreApplication>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace l402::app {

std::optional<QByteArray> readSecretFromTerminal(const QString& prompt)
{
    // O_NOCTTY: asking must never make a terminal this process's controlling one.
    const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt; // no controlling terminal: nobody to ask
    }
    // Echo off (and what was typed ahead thrown away) before the prompt appears: an answer
    // typed the moment it shows is neither echoed nor lost.
    termios saved{};
    const bool isTerminal = ::tcgetattr(fd, &saved) == 0;
    if (isTerminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    const QByteArray text = prompt.toLocal8Bit();
    (void)!::write(fd, text.constData(), static_cast<size_t>(text.size()));
    QByteArray secret;
    char c = 0;
    bool ended = false;
    while (secret.size() < 4096) {
        const ssize_t got = ::read(fd, &c, 1);
        if (got <= 0) {
            break;
        }
        if (c == '\n' || c == '\r') {
            ended = true;
            break;
        }
        secret.append(c);
    }
    if (isTerminal) {
        ::tcsetattr(fd, TCSAFLUSH, &saved);
    }
    ::close(fd);
    if (!ended && secret.isEmpty()) {
        return std::nullopt;
    }
    return secret;
}

// Owner proof for a keychain-mode wallet this CLI opened itself: the owner PIN, typed on the
// controlling terminal, counted against the same rate limit as the socket's proofs. A wallet
// with no agents and no PIN yet is a fresh one being set up by its owner.
Status proveOwnerByPin(store::WalletStore& wallet, const QString& operation, const QString& effect)
{
    policy::OwnerProof proof(wallet.database(), wallet.dataDir(), SystemClock::instance());
    auto secrets = proof.secrets();
    if (!secrets) {
        return secrets.error();
    }
    if (secrets->pinRecord.isEmpty()) {
        auto agents = policy::AgentBook(wallet.database(), SystemClock::instance()).credentials();
        if (agents && agents->isEmpty()) {
            return success();
        }
        return Status::failure(
            QLatin1String(policy::owner_error::kConfirmationRequired),
            QStringLiteral("'%1' is an owner command, and this keychain wallet has no owner PIN: "
                           "run it while the window is open and confirm it there, or set a PIN "
                           "('l402-wallet owner-pin set' with the window open).")
                .arg(operation));
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (auto may = proof.mayTry(*secrets); !may) {
            return may;
        }
        auto pin = readSecretFromTerminal((attempt == 0
                                               ? QStringLiteral("Owner command: %1.\n").arg(effect)
                                               : QStringLiteral("That was not the owner PIN.\n")) +
                                          QStringLiteral("Owner PIN: "));
        if (!pin) {
            return Status::failure(
                QLatin1String(policy::owner_error::kConfirmationRequired),
                QStringLiteral("'%1' is an owner command: run it from a terminal and type the "
                               "owner PIN when asked (no terminal here).")
                    .arg(operation));
        }
        const bool matched = policy::OwnerProof::matches(*secrets, *pin);
        pin->fill('\0');
        if (auto recorded = proof.record(matched); !recorded) {
            return recorded;
        }
        if (matched) {
            return success();
        }
        if (auto again = proof.secrets()) {
            secrets = std::move(again);
        }
    }
    return Status::failure(QLatin1String(policy::owner_error::kWrongProof),
                           QStringLiteral("The owner PIN is wrong."));
}

Result<QJsonObject> ownerControlRequest(const QString& dataDir, QJsonObject request,
                                        const QString& effect)
{
    const auto waiting = [](const QString& message) {
        writeErr((message + u'\n').toUtf8());
    };
    auto reply = control::controlRequest(dataDir, request, std::chrono::seconds(10), waiting);
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (reply ||
            (reply.error().code != QLatin1String(policy::owner_error::kConfirmationRequired) &&
             reply.error().code != QLatin1String(policy::owner_error::kWrongProof))) {
            return reply;
        }
        const QString header =
            attempt == 0 ? QStringLiteral("Owner command: %1.\n").arg(effect)
                         : QStringLiteral("That was not the wallet passphrase or owner PIN.\n");
        auto secret =
            readSecretFromTerminal(header + QStringLiteral("Wallet passphrase or owner PIN: "));
        if (!secret) {
            return reply; // no terminal: the refusal stands
        }
        request.insert(QStringLiteral("proof"),
                       QJsonObject{{QStringLiteral("secret"), QString::fromUtf8(*secret)}});
        secret->fill('\0');
        // Checking takes the wallet about half a second of Argon2id.
        reply = control::controlRequest(dataDir, request, std::chrono::seconds(30), waiting);
        request.remove(QStringLiteral("proof"));
    }
    return reply;
}

} // namespace l402::app

namespace l402::app {

int runOwnerPin(const GlobalOptions& options)
{
    if (options.arguments != QStringList{QStringLiteral("set")}) {
        return reportError(options, usage(QStringLiteral("owner-pin takes 'set'.")), kExitUsage);
    }
    // Typed, never passed: a PIN in argv or the environment would be readable by others.
    auto pin = readSecretFromTerminal(QStringLiteral("New owner PIN (at least 6 characters): "));
    if (!pin) {
        return reportError(options,
                           Error{QStringLiteral("usage"),
                                 QStringLiteral("owner-pin set reads the PIN from the terminal; "
                                                "run it in one.")},
                           kExitUsage);
    }
    auto again = readSecretFromTerminal(QStringLiteral("The same PIN again: "));
    if (!again || *again != *pin) {
        return reportError(options, usage(QStringLiteral("The two PINs differ; nothing changed.")),
                           kExitUsage);
    }
    const QString dataDir = resolveDataDir(options);
    int argc = 1;
    char name[] = "l402-wallet";
    char* argv[] = {name, nullptr};
    QCoreApplication application(argc, argv);
    const QJsonObject request{{QStringLiteral("cmd"), QStringLiteral("set-owner-pin")},
                              {QStringLiteral("pin"), QString::fromUtf8(*pin)}};
    auto reply = ownerControlRequest(dataDir, request,
                                     control::describeEffect(QStringLiteral("set-owner-pin"), {}));
    if (!reply && reply.error().code == QLatin1String("control_unavailable")) {
        // No wallet running: open it here (the owner proof is the unlock passphrase, or in
        // keychain mode the current PIN).
        return runWithWallet(options, [&](store::WalletStore& wallet,
                                          std::function<void(int)> finish) {
            policy::OwnerProof proof(wallet.database(), wallet.dataDir(), SystemClock::instance());
            if (auto set = proof.setPin(*pin); !set) {
                finish(reportError(options, set.error(), kExitUsage));
                return;
            }
            printLine(QStringLiteral("The owner PIN is set."));
            finish(kExitOk);
        });
    }
    pin->fill('\0');
    again->fill('\0');
    if (!reply) {
        return reportError(options, reply.error(),
                           reply.error().code == QLatin1String("usage") ? kExitUsage : kExitError);
    }
    printLine(QStringLiteral("The owner PIN is set."));
    return kExitOk;
}

} // namespace l402::app
