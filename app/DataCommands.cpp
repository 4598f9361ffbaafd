// Data commands on the unlocked wallet: history, tokens, budget (DESIGN §4).

#include "app/Commands.h"
#include "app/OwnerPrompt.h"
#include "app/WalletSession.h"
#include "core/control/ControlCommands.h"
#include "core/control/ControlServer.h"
#include "core/payments/DrainGuard.h"
#include "core/payments/TokenStore.h"
#include "core/policy/Agents.h"
#include "core/policy/Budget.h"
#include "core/policy/RuleEdit.h"
#include "core/policy/SpendingSwitch.h"
#include "core/protocol/Macaroon.h"
#include "core/proxy/AgentSetup.h"
#include "core/proxy/LocalCa.h"
#include "core/util/Money.h"
#include "core/util/TerminalText.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>

namespace l402::app {
namespace {

QString sat(int64_t msat)
{
    return formatMsatAsSat(static_cast<uint64_t>(std::max<int64_t>(msat, 0)));
}

QString localTime(int64_t seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QJsonValue optionalMsat(const std::optional<int64_t>& value)
{
    return value ? QJsonValue(qint64(*value)) : QJsonValue();
}

int runHistory(const GlobalOptions& options)
{
    int limit = 50;
    for (qsizetype i = 0; i < options.arguments.size(); ++i) {
        if (options.arguments.at(i) == QLatin1String("--limit") &&
            i + 1 < options.arguments.size()) {
            bool ok = false;
            limit = options.arguments.at(++i).toInt(&ok);
            if (!ok || limit <= 0) {
                return reportError(options, usage(QStringLiteral("--limit takes a count.")),
                                   kExitUsage);
            }
        } else {
            return reportError(
                options,
                usage(QStringLiteral("history does not know %1.").arg(options.arguments.at(i))),
                kExitUsage);
        }
    }
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        // An agent's view reads further back and keeps only its own payments.
        auto page = wallet.ledger().page(
            std::nullopt, options.onlyAgent.isEmpty() ? limit : std::min(limit * 20, 10'000));
        if (!page) {
            finish(reportError(options, page.error()));
            return;
        }
        if (!options.onlyAgent.isEmpty()) {
            page->removeIf([&](const store::PaymentRecord& record) {
                return record.payment.agent != options.onlyAgent;
            });
            if (page->size() > limit) {
                page->resize(limit);
            }
        }
        if (options.json) {
            QJsonArray list;
            for (const store::PaymentRecord& record : page.value()) {
                list.append(QJsonObject{
                    {QStringLiteral("id"), qint64(record.id)},
                    {QStringLiteral("created_at"), qint64(record.createdAt)},
                    {QStringLiteral("origin"), record.payment.origin},
                    {QStringLiteral("agent"), record.payment.agent},
                    {QStringLiteral("scheme"), record.payment.scheme},
                    {QStringLiteral("amount_msat"), qint64(record.payment.amountMsat)},
                    {QStringLiteral("fee_msat"), optionalMsat(record.feeMsat)},
                    {QStringLiteral("payment_hash"),
                     QString::fromLatin1(record.payment.paymentHash.toHex())},
                    {QStringLiteral("status"), store::paymentStatusName(record.status)}});
            }
            printJson(list);
        } else if (page->isEmpty()) {
            printLine(QStringLiteral("No payments yet."));
        } else {
            for (const store::PaymentRecord& record : page.value()) {
                printLine(QStringLiteral("#%1  %2  %3  %4%5  %6%7")
                              .arg(record.id)
                              .arg(localTime(record.createdAt), record.payment.origin,
                                   sat(record.payment.amountMsat),
                                   record.feeMsat
                                       ? QStringLiteral(" + %1 fee").arg(sat(*record.feeMsat))
                                       : QString(),
                                   store::paymentStatusName(record.status),
                                   record.payment.agent.isEmpty()
                                       ? QString()
                                       : QStringLiteral("  (agent %1)").arg(record.payment.agent)));
            }
        }
        finish(kExitOk);
    });
}

QJsonArray caveatsJson(const payments::Token& token)
{
    QJsonArray caveats;
    auto macaroon = protocol::Macaroon::fromBinary(token.macaroon);
    if (macaroon) {
        for (const auto& keyValue : protocol::ApertureCaveats::fromMacaroon(*macaroon).all) {
            caveats.append(QJsonObject{{QStringLiteral("key"), keyValue.key},
                                       {QStringLiteral("value"), keyValue.value}});
        }
    }
    return caveats;
}

int runTokens(const GlobalOptions& options)
{
    const QStringList& args = options.arguments;
    if (!args.isEmpty() && args.first() != QLatin1String("remove")) {
        return reportError(options,
                           usage(QStringLiteral("tokens takes no option, or remove ORIGIN.")),
                           kExitUsage);
    }
    if (!args.isEmpty() && args.size() != 2) {
        return reportError(options, usage(QStringLiteral("tokens remove takes one ORIGIN.")),
                           kExitUsage);
    }
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        payments::TokenStore tokens(wallet.database(), SystemClock::instance());
        if (!args.isEmpty()) {
            QString origin = args.at(1);
            if (const auto parsed = policy::Origin::parse(origin)) {
                origin = parsed->toString();
            }
            auto removed = tokens.removeOrigin(origin);
            if (!removed) {
                finish(reportError(options, removed.error()));
                return;
            }
            if (removed.value() == 0) {
                finish(
                    reportError(options, Error{QStringLiteral("not_found"),
                                               QStringLiteral("No tokens for %1.").arg(origin)}));
                return;
            }
            if (options.json) {
                printJson(QJsonObject{{QStringLiteral("removed"), removed.value()}});
            } else {
                printLine(
                    QStringLiteral("Removed %1 token(s) of %2.").arg(removed.value()).arg(origin));
            }
            finish(kExitOk);
            return;
        }
        auto list = tokens.list();
        if (!list) {
            finish(reportError(options, list.error()));
            return;
        }
        const int64_t now = SystemClock::instance().nowSeconds();
        QJsonArray out;
        for (const payments::Token& token : list.value()) {
            if (token.status == QLatin1String("removed") ||
                (!options.onlyAgent.isEmpty() && token.agent != options.onlyAgent)) {
                continue;
            }
            // An active token past its expiry is shown as what it is.
            const QString status = token.status == QLatin1String("active") && token.expiresAt &&
                                           *token.expiresAt <= now
                                       ? QStringLiteral("expired")
                                       : token.status;
            if (options.json) {
                out.append(QJsonObject{
                    {QStringLiteral("origin"), token.origin},
                    {QStringLiteral("agent"), token.agent},
                    {QStringLiteral("services"), QJsonArray::fromStringList(token.services)},
                    {QStringLiteral("payment_hash"),
                     QString::fromLatin1(token.paymentHash.toHex())},
                    {QStringLiteral("amount_msat"), qint64(token.amountMsat)},
                    {QStringLiteral("created_at"), qint64(token.createdAt)},
                    {QStringLiteral("expires_at"), optionalMsat(token.expiresAt)},
                    {QStringLiteral("status"), status},
                    {QStringLiteral("caveats"), caveatsJson(token)}});
            } else {
                printLine(
                    QStringLiteral("%1  %2  %3  %4%5")
                        .arg(token.origin, token.services.join(u','), sat(token.amountMsat), status,
                             token.expiresAt
                                 ? QStringLiteral("  until %1").arg(localTime(*token.expiresAt))
                                 : QString()));
            }
        }
        if (options.json) {
            printJson(out);
        } else if (out.isEmpty() && list->isEmpty()) {
            printLine(QStringLiteral("No tokens yet."));
        }
        finish(kExitOk);
    });
}

int runBudget(const GlobalOptions& options)
{
    const QStringList& args = options.arguments;
    const QString action = args.value(0);
    if (action != QLatin1String("set") && action != QLatin1String("list") &&
        action != QLatin1String("remove")) {
        return reportError(options, usage(QStringLiteral("budget takes set, list or remove.")),
                           kExitUsage);
    }
    // `budget set` changes only what it names (RuleEdit); --clear-X removes a limit.
    policy::RuleEdit edit;
    if (action != QLatin1String("list")) {
        if (args.size() < 2 || args.at(1).startsWith(QLatin1String("--"))) {
            return reportError(options,
                               usage(QStringLiteral("budget %1 needs a PATTERN.").arg(action)),
                               kExitUsage);
        }
        edit.pattern = args.at(1);
        const struct {
            const char* name;
            policy::RuleEdit::Change<int64_t> policy::RuleEdit::*field;
        } amounts[] = {{"max-payment", &policy::RuleEdit::maxPaymentMsat},
                       {"daily", &policy::RuleEdit::dailyMsat},
                       {"weekly", &policy::RuleEdit::weeklyMsat},
                       {"monthly", &policy::RuleEdit::monthlyMsat},
                       {"ask-above", &policy::RuleEdit::askAboveMsat}};
        for (qsizetype i = 2; i < args.size(); ++i) {
            const QString& name = args.at(i);
            if (action == QLatin1String("set") && name.startsWith(QLatin1String("--clear-"))) {
                const QString what = name.mid(8);
                bool known = false;
                for (const auto& amount : amounts) {
                    if (what == QLatin1String(amount.name)) {
                        edit.*amount.field = std::optional<int64_t>();
                        known = true;
                    }
                }
                if (what == QLatin1String("rate")) {
                    edit.maxRate = std::optional<policy::PaymentRate>();
                    known = true;
                }
                if (!known) {
                    return reportError(
                        options, usage(QStringLiteral("budget set does not know %1.").arg(name)),
                        kExitUsage);
                }
                continue;
            }
            if (i + 1 >= args.size()) {
                return reportError(options, usage(QStringLiteral("%1 needs a value.").arg(name)),
                                   kExitUsage);
            }
            const QString value = args.at(++i);
            if (name == QLatin1String("--agent")) {
                edit.agent = value;
                continue;
            }
            if (action == QLatin1String("remove")) {
                return reportError(options,
                                   usage(QStringLiteral("budget remove takes --agent only.")),
                                   kExitUsage);
            }
            if (name == QLatin1String("--mode")) {
                const auto mode = policy::modeFromName(value);
                if (!mode) {
                    return reportError(options,
                                       usage(QStringLiteral("--mode is auto, ask or block.")),
                                       kExitUsage);
                }
                edit.mode = *mode;
                continue;
            }
            if (name == QLatin1String("--max-rate")) {
                auto rate = policy::PaymentRate::parse(value);
                if (!rate) {
                    return reportError(options, rate.error(), kExitUsage);
                }
                edit.maxRate = std::optional<policy::PaymentRate>(rate.value());
                continue;
            }
            bool known = false;
            for (const auto& amount : amounts) {
                if (name == QStringLiteral("--") + QLatin1String(amount.name)) {
                    auto msat = policy::parseSatsAsMsat(value, name);
                    if (!msat) {
                        return reportError(options, msat.error(), kExitUsage);
                    }
                    edit.*amount.field = std::optional<int64_t>(msat.value());
                    known = true;
                }
            }
            if (!known) {
                return reportError(options,
                                   usage(QStringLiteral("budget set does not know %1.").arg(name)),
                                   kExitUsage);
            }
        }
    } else if (args.size() > 1) {
        return reportError(options, usage(QStringLiteral("budget list takes no arguments.")),
                           kExitUsage);
    }
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        policy::BudgetBook book(wallet.database(), SystemClock::instance(),
                                QTimeZone::systemTimeZone());
        if (action == QLatin1String("set")) {
            auto saved = book.editRule(edit);
            if (!saved) {
                const QString& code = saved.error().code;
                finish(reportError(options, saved.error(),
                                   code == QLatin1String("invalid_pattern") ||
                                           code == QLatin1String("invalid_amount") ||
                                           code == QLatin1String("invalid_rate")
                                       ? kExitUsage
                                       : kExitError));
                return;
            }
        } else if (action == QLatin1String("remove")) {
            auto removed = book.removeRule(edit.pattern, edit.agent);
            if (!removed) {
                finish(reportError(options, removed.error()));
                return;
            }
            if (!removed.value()) {
                finish(reportError(
                    options, Error{QStringLiteral("not_found"),
                                   QStringLiteral("No budget rule for %1%2.")
                                       .arg(edit.pattern,
                                            edit.agent.isEmpty()
                                                ? QString()
                                                : QStringLiteral(" (agent %1)").arg(edit.agent))}));
                return;
            }
        }
        auto rules = book.rules();
        if (!rules) {
            finish(reportError(options, rules.error()));
            return;
        }
        const policy::Windows windows =
            policy::windowsAt(SystemClock::instance().now(), book.zone());
        QJsonArray out;
        for (const policy::BudgetRule& r : rules.value()) {
            auto usage = book.usageOf(r, windows);
            const policy::Usage used = usage ? usage.value() : policy::Usage{};
            auto recent = book.recentPaymentsOf(r);
            const int64_t inRateWindow = recent ? recent.value() : 0;
            if (options.json) {
                out.append(QJsonObject{
                    {QStringLiteral("pattern"), r.pattern},
                    {QStringLiteral("agent"),
                     r.agent.isEmpty() ? QJsonValue() : QJsonValue(r.agent)},
                    {QStringLiteral("mode"), policy::modeName(r.mode)},
                    {QStringLiteral("max_payment_msat"), optionalMsat(r.maxPaymentMsat)},
                    {QStringLiteral("daily_msat"), optionalMsat(r.dailyMsat)},
                    {QStringLiteral("weekly_msat"), optionalMsat(r.weeklyMsat)},
                    {QStringLiteral("monthly_msat"), optionalMsat(r.monthlyMsat)},
                    {QStringLiteral("ask_above_msat"), optionalMsat(r.askAboveMsat)},
                    {QStringLiteral("max_rate"),
                     r.maxRate ? QJsonValue(r.maxRate->toString()) : QJsonValue()},
                    {QStringLiteral("payments_in_rate_window"),
                     r.maxRate ? QJsonValue(qint64(inRateWindow)) : QJsonValue()},
                    {QStringLiteral("used_today_msat"), qint64(used.dayMsat)},
                    {QStringLiteral("used_this_week_msat"), qint64(used.weekMsat)},
                    {QStringLiteral("used_this_month_msat"), qint64(used.monthMsat)}});
            } else {
                printLine(QStringLiteral("%1  %2  %3")
                              .arg(r.label(), policy::modeName(r.mode),
                                   policy::describeLimits(r, used, inRateWindow)));
            }
        }
        if (!options.json && rules->size() > 1) {
            // What the list means: limits combine, none lifts another (DESIGN §3.7).
            printLine(QStringLiteral("Every matching rule applies to a payment: any block "
                                     "blocks, every limit must have room; the most specific "
                                     "rule (or an agent's rule that asks) decides whether to "
                                     "ask."));
        }
        if (options.json) {
            printJson(out);
        } else if (rules->isEmpty()) {
            printLine(QStringLiteral("No budget rules: every payment is asked about."));
        }
        finish(kExitOk);
    });
}

// The proxy address agents are told to use.
QString proxyAddress()
{
    return QStringLiteral("127.0.0.1:%1").arg(agentProxyPort());
}

QString envSnippet(const QString& name, const QString& secret, const QString& dataDir = {})
{
    return proxy::agentEnvSnippet(name, secret, agentProxyPort(), dataDir);
}

// `agent pause NAME` / `agent resume NAME`: that agent's payments are refused with
// agent_paused until resumed (free requests and its tokens keep working).
int runAgentPause(const GlobalOptions& options, const QString& name, bool pause)
{
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        auto agents = policy::AgentBook(wallet.database(), SystemClock::instance()).list();
        if (!agents) {
            finish(reportError(options, agents.error()));
            return;
        }
        const bool known = std::any_of(agents->cbegin(), agents->cend(),
                                       [&](const policy::Agent& a) { return a.name == name; });
        policy::SpendingSwitch spending(wallet.database(), SystemClock::instance());
        if (pause && !known) {
            finish(reportError(options,
                               Error{QStringLiteral("not_found"),
                                     QStringLiteral("There is no agent named %1.").arg(name)}));
            return;
        }
        auto changed = pause ? spending.pauseAgent(name) : spending.resumeAgent(name);
        if (!changed) {
            finish(reportError(options, changed.error()));
            return;
        }
        if (options.json) {
            printJson(QJsonObject{{QStringLiteral("agent"), name},
                                  {QStringLiteral("paused"), pause},
                                  {QStringLiteral("changed"), changed.value()}});
        } else if (pause) {
            printLine(changed.value()
                          ? QStringLiteral("Spending by agent %1 is paused: its paid requests "
                                           "are refused with agent_paused; resume with "
                                           "'l402-wallet agent resume %1'.")
                                .arg(name)
                          : QStringLiteral("Spending by agent %1 was already paused.").arg(name));
        } else {
            printLine(changed.value() ? QStringLiteral("Agent %1 may spend again.").arg(name)
                                      : QStringLiteral("Agent %1 was not paused.").arg(name));
        }
        finish(kExitOk);
    });
}

// `pause` / `resume`: the kill switch for every payment. Pausing needs no proof; resuming is
// the owner's (gated by the caller; see WalletSession).
int runPause(const GlobalOptions& options, bool pause)
{
    if (!pause && options.arguments.size() == 2 &&
        options.arguments.at(0) == QLatin1String("--origin")) {
        // resume --origin ORIGIN: end the drain guard's pause of one site.
        const auto origin = policy::Origin::parse(options.arguments.at(1));
        if (!origin) {
            return reportError(
                options,
                usage(QStringLiteral(
                    "resume --origin takes an origin such as https://api.example.com.")),
                kExitUsage);
        }
        return runWithWallet(options, [&](store::WalletStore& wallet,
                                          std::function<void(int)> finish) {
            payments::DrainGuard guard(wallet.database(), SystemClock::instance());
            auto resumed = guard.resume(origin->toString());
            if (!resumed) {
                finish(reportError(options, resumed.error()));
                return;
            }
            if (options.json) {
                printJson(QJsonObject{{QStringLiteral("origin"), origin->toString()},
                                      {QStringLiteral("changed"), resumed.value()}});
            } else {
                printLine(resumed.value()
                              ? QStringLiteral("Payments to %1 resumed.").arg(origin->toString())
                              : QStringLiteral("%1 was not paused.").arg(origin->toString()));
            }
            finish(kExitOk);
        });
    }
    if (!options.arguments.isEmpty()) {
        return reportError(
            options,
            usage(pause ? QStringLiteral("pause takes no arguments.")
                        : QStringLiteral("resume takes no arguments, or --origin ORIGIN.")),
            kExitUsage);
    }
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        policy::SpendingSwitch spending(wallet.database(), SystemClock::instance());
        auto changed = pause ? spending.pauseAll() : spending.resumeAll();
        if (!changed) {
            finish(reportError(options, changed.error()));
            return;
        }
        const policy::SpendingState& state = spending.state();
        if (options.json) {
            printJson(QJsonObject{
                {QStringLiteral("paused"), state.walletPaused},
                {QStringLiteral("changed"), changed.value()},
                {QStringLiteral("paused_at"),
                 state.walletPaused ? QJsonValue(qint64(state.walletPausedAt)) : QJsonValue()},
                {QStringLiteral("paused_agents"),
                 QJsonArray::fromStringList(state.pausedAgents.keys())}});
        } else if (pause) {
            printLine(changed.value()
                          ? QStringLiteral("All spending is paused: paid requests are refused "
                                           "with wallet_paused; free requests and tokens already "
                                           "bought still work. Resume with 'l402-wallet resume'.")
                          : QStringLiteral("Spending was already paused (since %1).")
                                .arg(localTime(state.walletPausedAt)));
        } else {
            printLine(changed.value() ? QStringLiteral("Spending resumed.")
                                      : QStringLiteral("Spending was not paused."));
            if (!state.pausedAgents.isEmpty()) {
                printLine(QStringLiteral("Still paused agents: %1.")
                              .arg(state.pausedAgents.keys().join(QStringLiteral(", "))));
            }
        }
        finish(kExitOk);
    });
}

int runAgent(const GlobalOptions& options)
{
    const QStringList& args = options.arguments;
    const QString action = args.value(0);
    if (!((action == QLatin1String("add") && args.size() == 2) ||
          (action == QLatin1String("remove") && args.size() == 2) ||
          (action == QLatin1String("pause") && args.size() == 2) ||
          (action == QLatin1String("resume") && args.size() == 2) ||
          (action == QLatin1String("list") && args.size() == 1))) {
        return reportError(
            options,
            usage(QStringLiteral(
                "agent takes add NAME, list, remove NAME, pause NAME or resume NAME.")),
            kExitUsage);
    }
    if (action == QLatin1String("pause") || action == QLatin1String("resume")) {
        return runAgentPause(options, args.at(1), action == QLatin1String("pause"));
    }
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        policy::AgentBook agents(wallet.database(), SystemClock::instance());
        if (action == QLatin1String("add")) {
            auto added = agents.add(args.at(1));
            if (!added) {
                finish(reportError(options, added.error(),
                                   added.error().code == QLatin1String("invalid_agent_name")
                                       ? kExitUsage
                                       : kExitError));
                return;
            }
            const QString proxyUrl =
                proxy::agentProxyUrl(added->name, added->secret, agentProxyPort());
            if (options.json) {
                printJson(QJsonObject{
                    {QStringLiteral("name"), added->name},
                    {QStringLiteral("secret"), added->secret},
                    // L402_WALLET_AGENT for fetch, mcp and run
                    {QStringLiteral("credential"), QString(added->name + u':' + added->secret)},
                    {QStringLiteral("proxy_url"), proxyUrl}});
            } else {
                printLine(QStringLiteral("Agent %1 added. Its secret is shown only now:")
                              .arg(added->name));
                printLine(QString());
                printLine(QStringLiteral("  %1").arg(added->secret));
                printLine(QString());
                printLine(QStringLiteral("Start the agent in the wallet's sandbox with:"));
                printLine(QStringLiteral("  L402_WALLET_AGENT=%1:%2 l402-wallet run -- COMMAND...")
                              .arg(added->name, added->secret));
                printLine(QString());
                printLine(QStringLiteral("or point it at the wallet yourself with:"));
                printLine(envSnippet(added->name, added->secret, wallet.dataDir()));
                printLine(QStringLiteral("or call the gateway with the header "
                                         "'L402-Wallet-Agent: %1:<secret>', e.g. "
                                         "http://%2/gw/https/api.example.com/path")
                              .arg(added->name, proxyAddress()));
            }
            finish(kExitOk);
            return;
        }
        if (action == QLatin1String("remove")) {
            auto removed = agents.remove(args.at(1));
            if (!removed) {
                finish(reportError(options, removed.error()));
                return;
            }
            if (!removed.value()) {
                finish(reportError(
                    options, Error{QStringLiteral("not_found"),
                                   QStringLiteral("There is no agent named %1.").arg(args.at(1))}));
                return;
            }
            if (options.json) {
                printJson(QJsonObject{{QStringLiteral("removed"), args.at(1)}});
            } else {
                printLine(QStringLiteral("Agent %1 removed; its secret no longer works.")
                              .arg(args.at(1)));
            }
            finish(kExitOk);
            return;
        }
        auto list = agents.list();
        if (!list) {
            finish(reportError(options, list.error()));
            return;
        }
        policy::SpendingSwitch spending(wallet.database(), SystemClock::instance());
        (void)spending.reload(); // unreadable: listed as not paused; payments still fail closed
        // Spend per agent, all time, from the ledger.
        QHash<QString, int64_t> spent;
        if (auto statement = wallet.database().prepare(
                "SELECT agent, SUM(amount_msat + ifnull(fee_msat, 0)) FROM payments "
                "WHERE status = 'succeeded' GROUP BY agent")) {
            for (auto row = statement->step(); row && row.value(); row = statement->step()) {
                spent.insert(statement->text(0), statement->integer(1));
            }
        }
        QJsonArray out;
        for (const policy::Agent& agent : list.value()) {
            if (options.json) {
                out.append(
                    QJsonObject{{QStringLiteral("name"), agent.name},
                                {QStringLiteral("created_at"), qint64(agent.createdAt)},
                                {QStringLiteral("spent_msat"), qint64(spent.value(agent.name))},
                                {QStringLiteral("paused"), spending.agentPaused(agent.name)}});
            } else {
                printLine(QStringLiteral("%1  added %2  spent %3%4")
                              .arg(agent.name, localTime(agent.createdAt),
                                   sat(spent.value(agent.name)),
                                   spending.agentPaused(agent.name) ? QStringLiteral("  (paused)")
                                                                    : QString()));
            }
        }
        if (options.json) {
            printJson(out);
        } else if (list->isEmpty()) {
            printLine(QStringLiteral("No agents yet; add one with 'l402-wallet agent add NAME'."));
        }
        finish(kExitOk);
    });
}

int runEnv(const GlobalOptions& options)
{
    QString name;
    const QStringList& args = options.arguments;
    if (args.size() == 2 && args.at(0) == QLatin1String("--agent")) {
        name = args.at(1);
    } else if (!args.isEmpty()) {
        return reportError(options, usage(QStringLiteral("env takes [--agent NAME].")), kExitUsage);
    }
    if (!name.isEmpty() && !policy::AgentBook::validName(name)) {
        return reportError(options, usage(QStringLiteral("\"%1\" is not an agent name.").arg(name)),
                           kExitUsage);
    }
    // The wallet keeps only a hash of each secret, so the snippet reads it from the
    // environment of the shell it runs in rather than printing it again: the credential
    // (L402_WALLET_AGENT=name:secret, what `agent add` printed), or with --agent NAME the
    // secret alone.
    const QString who = name.isEmpty() ? QStringLiteral("${L402_WALLET_AGENT%%:*}") : name;
    const QString secret = name.isEmpty() ? QStringLiteral("${L402_WALLET_AGENT#*:}")
                                          : QStringLiteral("${L402_WALLET_AGENT_SECRET:?set it "
                                                           "to the agent's secret}");
    writeOut(QString(QStringLiteral("# The secret was shown once by 'l402-wallet agent add'.\n") +
                     (name.isEmpty() ? QStringLiteral(": \"${L402_WALLET_AGENT:?set it to "
                                                      "name:secret, as agent add printed it}\"\n")
                                     : QString()) +
                     envSnippet(who, secret, resolveDataDir(options)) + u'\n')
                 .toUtf8());
    return kExitOk;
}

// approvals, approve ID [--remember ..], deny ID: answered by the running wallet.
int runApprovals(const GlobalOptions& options)
{
    const QStringList& args = options.arguments;
    QJsonObject request;
    if (options.command == QLatin1String("approvals")) {
        if (!args.isEmpty()) {
            return reportError(options, usage(QStringLiteral("approvals takes no arguments.")),
                               kExitUsage);
        }
        request.insert(QStringLiteral("cmd"), QStringLiteral("approvals"));
    } else {
        const bool approve = options.command == QLatin1String("approve");
        QString remember;
        QString id;
        for (qsizetype i = 0; i < args.size(); ++i) {
            if (approve && args.at(i) == QLatin1String("--remember") && i + 1 < args.size()) {
                remember = args.at(++i);
                if (!policy::rememberFromName(remember)) {
                    return reportError(
                        options,
                        usage(QStringLiteral("--remember is once, 1h, session or always.")),
                        kExitUsage);
                }
            } else if (id.isEmpty() && !args.at(i).startsWith(QLatin1String("--"))) {
                id = args.at(i);
            } else {
                return reportError(
                    options,
                    usage(QStringLiteral("%1 takes an ID%2.")
                              .arg(options.command, approve ? QStringLiteral(" [--remember once|1h|"
                                                                             "session|always]")
                                                            : QString())),
                    kExitUsage);
            }
        }
        if (id.isEmpty()) {
            return reportError(options,
                               usage(QStringLiteral("%1 needs the ID shown by "
                                                    "'l402-wallet approvals'.")
                                         .arg(options.command)),
                               kExitUsage);
        }
        request.insert(QStringLiteral("cmd"), options.command);
        request.insert(QStringLiteral("id"), id);
        if (!remember.isEmpty()) {
            request.insert(QStringLiteral("remember"), remember);
        }
    }
    auto reply = ownerControlRequest(resolveDataDir(options), request,
                                     control::describeEffect(options.command, args));
    if (!reply) {
        return reportError(options, reply.error(),
                           reply.error().code == QLatin1String("usage") ? kExitUsage : kExitError);
    }
    const QJsonValue result = reply->value(QLatin1String("result"));
    if (options.command != QLatin1String("approvals")) {
        const QJsonObject answered = result.toObject();
        if (options.json) {
            printJson(answered);
        } else {
            printLine(QStringLiteral("%1: %2 to %3.")
                          .arg(options.command == QLatin1String("approve")
                                   ? QStringLiteral("Approved")
                                   : QStringLiteral("Denied"),
                               sat(answered.value(QLatin1String("amount_msat")).toInteger()),
                               answered.value(QLatin1String("origin")).toString()));
        }
        return kExitOk;
    }
    const QJsonArray list = result.toArray();
    if (options.json) {
        QJsonArray out;
        for (const QJsonValue& item : list) {
            const QJsonObject o = item.toObject();
            out.append(
                QJsonObject{{QStringLiteral("id"), o.value(QLatin1String("id"))},
                            {QStringLiteral("origin"), o.value(QLatin1String("origin"))},
                            {QStringLiteral("agent"), o.value(QLatin1String("agent"))},
                            {QStringLiteral("amount_msat"), o.value(QLatin1String("amount_msat"))},
                            {QStringLiteral("description"), o.value(QLatin1String("description"))},
                            {QStringLiteral("expires_at"), o.value(QLatin1String("expires_at"))}});
        }
        printJson(out);
    } else if (list.isEmpty()) {
        printLine(QStringLiteral("No payments are waiting for approval."));
    } else {
        const qint64 now = SystemClock::instance().nowSeconds();
        for (const QJsonValue& item : list) {
            const QJsonObject o = item.toObject();
            printLine(QStringLiteral("%1  %2  %3%4  %5  (%6 s left)")
                          .arg(o.value(QLatin1String("id")).toString(),
                               sat(o.value(QLatin1String("amount_msat")).toInteger()),
                               o.value(QLatin1String("origin")).toString(),
                               o.value(QLatin1String("agent")).toString().isEmpty()
                                   ? QString()
                                   : QStringLiteral(" (agent %1)")
                                         .arg(o.value(QLatin1String("agent")).toString()),
                               o.value(QLatin1String("description")).toString())
                          .arg(std::max<qint64>(
                              0, o.value(QLatin1String("expires_at")).toInteger() - now)));
        }
    }
    return kExitOk;
}

int runCa(const GlobalOptions& options)
{
    const QStringList& args = options.arguments;
    if (args.value(0) != QLatin1String("export") || args.size() > 2) {
        return reportError(options, usage(QStringLiteral("ca takes export [FILE].")), kExitUsage);
    }
    // Absolute, since a running wallet may write it (see runWithWallet).
    const QString file = args.size() > 1 ? QFileInfo(args.at(1)).absoluteFilePath() : QString();
    return runWithWallet(options, [&](store::WalletStore& wallet, std::function<void(int)> finish) {
        auto ca = proxy::LocalCa::loadOrCreate(wallet.database(), SystemClock::instance());
        if (!ca) {
            finish(reportError(options, ca.error()));
            return;
        }
        if (auto written = ca.value()->writeFiles(wallet.dataDir()); !written) {
            finish(reportError(options, written.error()));
            return;
        }
        if (file.isEmpty()) {
            writeOut(ca.value()->certificatePem());
        } else if (auto saved = store::DataDirectory::writeFileAtomically(
                       file, ca.value()->certificatePem());
                   !saved) {
            finish(reportError(options, saved.error()));
            return;
        } else {
            printLine(QStringLiteral("The wallet's CA certificate is in %1.").arg(file));
        }
        finish(kExitOk);
    });
}

} // namespace

int runDataCommand(const GlobalOptions& options)
{
    if (options.command == QLatin1String("approvals") ||
        options.command == QLatin1String("approve") || options.command == QLatin1String("deny")) {
        return runApprovals(options);
    }
    if (options.command == QLatin1String("ca")) {
        return runCa(options);
    }
    if (options.command == QLatin1String("agent")) {
        return runAgent(options);
    }
    if (options.command == QLatin1String("pause") || options.command == QLatin1String("resume")) {
        return runPause(options, options.command == QLatin1String("pause"));
    }
    if (options.command == QLatin1String("env")) {
        return runEnv(options);
    }
    if (options.command == QLatin1String("history")) {
        return runHistory(options);
    }
    if (options.command == QLatin1String("tokens")) {
        return runTokens(options);
    }
    return runBudget(options);
}

} // namespace l402::app
