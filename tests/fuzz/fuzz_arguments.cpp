// Amounts and node settings from text an agent or a script writes: the CLI's sats
// (--daily, --max-cost), MCP's and the control socket's JSON numbers, and `node set`'s
// options. Nothing crashes or overflows (UBSan), and every amount accepted is whole msat
// within all the bitcoin there is.
#include "core/node/NodeSettings.h"
#include "core/policy/RuleEdit.h"
#include "core/util/Money.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <cstdint>
#include <cstdlib>

namespace {
void checkAmount(std::optional<int64_t> msat, int64_t max)
{
    if (msat && (*msat < 0 || *msat > max)) {
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    QStringList arguments;
    for (const QByteArray& part : input.split('\0')) {
        QString argument = QString::fromUtf8(part);
        // '-' reads a secret from standard input, which would wait for a reader here.
        arguments.append(argument == QLatin1String("-") ? QStringLiteral("x") : argument);
    }
    for (const QString& argument : arguments) {
        const auto msat = l402::parseSatsToMsat(argument);
        checkAmount(msat, l402::kMaxMsat);
        if (msat && *msat % 1000 != 0) {
            std::abort();
        }
        const auto rule = l402::policy::parseSatsAsMsat(argument, QStringLiteral("--daily"));
        if (rule.ok() != msat.has_value() || (rule.ok() && rule.value() != *msat)) {
            std::abort(); // the CLI and the rule editor read amounts alike
        }
    }
    (void)l402::node::settingsFromArguments(arguments);
    (void)l402::node::secretsOnCommandLine(arguments);
    // The same bytes as an MCP/control-socket argument list: [max_cost_sats, max_fee_msat...].
    const QJsonDocument json = QJsonDocument::fromJson(input);
    for (const QJsonValue value : json.array()) {
        checkAmount(l402::wholeAmount(value, l402::kMaxSats), l402::kMaxSats);
        checkAmount(l402::wholeAmount(value, l402::kMaxMsat), l402::kMaxMsat);
    }
    return 0;
}
