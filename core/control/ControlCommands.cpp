#include "core/control/ControlCommands.h"

namespace l402::control {
namespace {

// Data commands whose first word is an action ("budget set"); the others are one operation.
bool takesAction(QStringView command)
{
    return command == u"budget" || command == u"agent" || command == u"tokens" ||
           command == u"ca" || command == u"node" || command == u"owner-pin";
}

QString quoted(const QString& text)
{
    return u'"' + text + u'"';
}

// The value after `--name` in `arguments`, if any.
std::optional<QString> optionValue(const QStringList& arguments, QStringView name)
{
    for (qsizetype i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments.at(i) == name) {
            return arguments.at(i + 1);
        }
    }
    return std::nullopt;
}

} // namespace

QString accessName(Access access)
{
    switch (access) {
    case Access::Read:
        return QStringLiteral("read");
    case Access::Brake:
        return QStringLiteral("brake");
    case Access::Agent:
        return QStringLiteral("agent");
    case Access::Owner:
        return QStringLiteral("owner");
    }
    return {};
}

const QList<Operation>& operations()
{
    static const QList<Operation> table{
        // Control socket requests of their own.
        {"status", Access::Read, "whether a wallet is running, its version and pid"},
        {"approvals", Access::Read, "list the payments waiting for approval"},
        {"approve", Access::Owner, "approve a waiting payment (and remember the answer)"},
        {"deny", Access::Brake, "deny a waiting payment"},
        {"credential", Access::Agent, "the caller's own token for an origin"},
        {"pay", Access::Agent, "pay a 402 as the calling agent, under its rules"},
        {"set-owner-pin", Access::Owner, "set or change the owner PIN"},
        {"owner-pin set", Access::Owner, "set or change the owner PIN (typed on the terminal)"},
        // Data commands (through the socket's "run", or the CLI opening the wallet itself).
        {"history", Access::Read, "the payment history"},
        {"tokens", Access::Read, "the tokens bought, with caveats (never the secrets)"},
        {"tokens remove", Access::Owner, "delete an origin's tokens"},
        {"budget list", Access::Read, "the spending rules and their usage"},
        {"budget set", Access::Owner, "create or change a spending rule"},
        {"budget remove", Access::Owner, "remove a spending rule"},
        {"agent list", Access::Read, "the agents and what they spent"},
        {"agent add", Access::Owner, "create an agent credential"},
        {"agent remove", Access::Owner, "revoke an agent credential"},
        {"agent pause", Access::Brake, "stop one agent's payments"},
        {"agent resume", Access::Owner, "let a paused agent pay again"},
        {"pause", Access::Brake, "stop every payment (the kill switch)"},
        {"resume", Access::Owner, "end a pause (all spending, or one origin)"},
        {"ca export", Access::Owner, "write the local CA certificate"},
        {"node show", Access::Read, "the node settings, secrets masked"},
        {"node test", Access::Read, "test the node connection"},
        {"node balance", Access::Read, "the node's spendable balance"},
        {"node set", Access::Owner, "change the node the wallet pays with"},
        {"fetch", Access::Agent, "fetch a URL, paying as the calling agent"},
        {"mcp", Access::Agent, "MCP server for one agent"},
        {"run", Access::Agent, "start an agent in a sandbox with its credential"},
        {"serve", Access::Read, "run headless: the proxy and the control socket"},
        {"gui", Access::Read, "open the window (its user is the owner at the screen)"},
        {"decode", Access::Read, "decode an invoice, macaroon or challenge offline"},
        {"env", Access::Read, "print an agent's proxy and CA settings"},
        {"serve --trust-same-user", Access::Owner,
         "run headless with owner proof turned off for the same Unix user"},
    };
    return table;
}

std::optional<Operation> findOperation(QStringView name)
{
    for (const Operation& operation : operations()) {
        if (name == QLatin1String(operation.name)) {
            return operation;
        }
    }
    return std::nullopt;
}

Access accessOf(QStringView operationName)
{
    const auto found = findOperation(operationName);
    return found ? found->access : Access::Owner;
}

QString operationName(const QString& command, const QStringList& arguments)
{
    if (command == QLatin1String("serve")) {
        return arguments.contains(QLatin1String("--trust-same-user"))
                   ? QStringLiteral("serve --trust-same-user")
                   : command;
    }
    if (takesAction(command) && !arguments.isEmpty() &&
        !arguments.first().startsWith(QLatin1String("--"))) {
        return command + u' ' + arguments.first();
    }
    if (command == QLatin1String("tokens") || command == QLatin1String("budget") ||
        command == QLatin1String("agent")) {
        // `tokens` alone lists; `budget`/`agent` alone is a usage error, shown to anyone.
        return command == QLatin1String("tokens") ? command : command + QStringLiteral(" list");
    }
    return command;
}

QString operationName(const QString& command, const QJsonArray& arguments)
{
    QStringList words;
    for (const QJsonValue& argument : arguments) {
        words.append(argument.toString());
    }
    return operationName(command, words);
}

QString describeEffect(const QString& command, const QStringList& arguments)
{
    const QString operation = operationName(command, arguments);
    const QString target = arguments.value(1);
    const QString agent = optionValue(arguments, u"--agent").value_or(QString());
    const QString forAgent =
        agent.isEmpty() ? QStringLiteral("every agent") : QStringLiteral("agent %1").arg(agent);
    if (operation == QLatin1String("budget set")) {
        QStringList parts;
        const auto mode = optionValue(arguments, u"--mode");
        if (mode == QLatin1String("auto")) {
            parts << QStringLiteral("pay without asking");
        } else if (mode == QLatin1String("ask")) {
            parts << QStringLiteral("ask before paying");
        } else if (mode == QLatin1String("block")) {
            parts << QStringLiteral("block payments");
        }
        for (const auto& [option, words] :
             {std::pair{u"--max-payment", "at most %1 sat a payment"},
              std::pair{u"--daily", "%1 sat a day"}, std::pair{u"--weekly", "%1 sat a week"},
              std::pair{u"--monthly", "%1 sat a month"},
              std::pair{u"--ask-above", "ask above %1 sat"},
              std::pair{u"--max-rate", "at most %1 payments"}}) {
            if (const auto value = optionValue(arguments, option)) {
                parts << QString::fromLatin1(words).arg(*value);
            }
        }
        for (qsizetype i = 2; i < arguments.size(); ++i) {
            if (arguments.at(i).startsWith(QLatin1String("--clear-"))) {
                parts << QStringLiteral("remove the %1 limit").arg(arguments.at(i).mid(8));
            }
        }
        const bool noLimit =
            !optionValue(arguments, u"--daily") && !optionValue(arguments, u"--weekly") &&
            !optionValue(arguments, u"--monthly") && !optionValue(arguments, u"--max-payment");
        return QStringLiteral("change the spending rule for %1 (%2): %3%4")
            .arg(quoted(target), forAgent,
                 parts.isEmpty() ? QStringLiteral("no change named") : parts.join(u", "),
                 mode == QLatin1String("auto") && noLimit
                     ? QStringLiteral(" (where no other rule limits it, %1 may then spend "
                                      "without limit)")
                           .arg(quoted(target))
                     : QString());
    }
    if (operation == QLatin1String("budget remove")) {
        return QStringLiteral("remove the spending rule for %1 (%2), lifting its limits")
            .arg(quoted(target), forAgent);
    }
    if (operation == QLatin1String("agent add")) {
        return QStringLiteral("create the agent %1, which can then spend under the rules")
            .arg(quoted(target));
    }
    if (operation == QLatin1String("agent remove")) {
        return QStringLiteral("revoke the agent %1").arg(quoted(target));
    }
    if (operation == QLatin1String("agent resume")) {
        return QStringLiteral("let the paused agent %1 pay again").arg(quoted(target));
    }
    if (operation == QLatin1String("tokens remove")) {
        return QStringLiteral("delete the tokens bought for %1 (the next request pays again)")
            .arg(target);
    }
    if (operation == QLatin1String("resume")) {
        const auto origin = optionValue(arguments, u"--origin");
        return origin ? QStringLiteral("let payments to %1 resume").arg(*origin)
                      : QStringLiteral("end the pause: payments resume");
    }
    if (operation == QLatin1String("ca export")) {
        return QStringLiteral("export the wallet's local CA certificate%1")
            .arg(target.isEmpty() ? QString() : QStringLiteral(" to %1").arg(target));
    }
    if (operation == QLatin1String("node set")) {
        return QStringLiteral("change the Lightning node the wallet pays with (%1)")
            .arg(target.isEmpty() ? QStringLiteral("from a URI") : target);
    }
    if (operation == QLatin1String("approve")) {
        const auto remember = optionValue(arguments, u"--remember").value_or(QString());
        const QString id = arguments.value(0);
        if (remember == QLatin1String("always")) {
            return QStringLiteral("approve the payment %1 and always pay this site up to this "
                                  "amount without asking")
                .arg(id);
        }
        if (remember == QLatin1String("1h") || remember == QLatin1String("session")) {
            return QStringLiteral("approve the payment %1 and the same again for %2")
                .arg(id, remember == QLatin1String("1h") ? QStringLiteral("an hour")
                                                         : QStringLiteral("this session"));
        }
        return QStringLiteral("approve the payment %1").arg(id);
    }
    if (operation == QLatin1String("set-owner-pin") ||
        operation == QLatin1String("owner-pin set")) {
        return QStringLiteral("set a new owner PIN");
    }
    if (operation == QLatin1String("serve --trust-same-user")) {
        return QStringLiteral("run without owner proof: every program of this Unix user may "
                              "change budgets, agents and approvals");
    }
    const auto known = findOperation(operation);
    return known ? QString::fromLatin1(known->summary)
                 : QStringLiteral("run '%1'").arg(command + u' ' + arguments.join(u' '));
}

QString operationOf(const QJsonObject& request)
{
    const QString command = request.value(QLatin1String("cmd")).toString();
    if (command == QLatin1String("run")) {
        return operationName(request.value(QLatin1String("command")).toString(),
                             request.value(QLatin1String("arguments")).toArray());
    }
    return command;
}

} // namespace l402::control
