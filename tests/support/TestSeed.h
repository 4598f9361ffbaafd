#pragma once

#include <QRandomGenerator>
#include <QtGlobal>

namespace l402::test {

// The seed of a randomized test: $L402_TEST_SEED when set (to replay a failure), otherwise a
// fresh one. Printed, so every failing run can be reproduced.
inline quint32 testSeed(const char* testName)
{
    bool ok = false;
    const quint32 fromEnvironment = qEnvironmentVariable("L402_TEST_SEED").toUInt(&ok);
    const quint32 seed = ok ? fromEnvironment : QRandomGenerator::global()->generate();
    qInfo("%s: seed %u (replay with L402_TEST_SEED=%u)", testName, seed, seed);
    return seed;
}

inline QByteArray randomBytes(QRandomGenerator& random, qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (char& c : out) {
        c = static_cast<char>(random.bounded(256));
    }
    return out;
}

} // namespace l402::test
