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

} // namespace

int runNode(const GlobalOptions& options)
{
    const QString action = options.arguments.value(0);
    const QStringList rest = options.arguments.mid(1);
    if (action == QLatin1String("set")) {
        for (const QString& option : node::secretsOnCommandLine(rest)) {
            writeErr(QStringLiteral("warning: %1 on the command line can be read by every local "
                                    "user (in /proc) while this runs, and stays in shell "
                                    "history; use %1-file FILE, or %1-file - for standard "
                                    "input.\n")
                         .arg(option)
                         .toUtf8());
        }
        auto settings = node::settingsFromArguments(rest);
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
