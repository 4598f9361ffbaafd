#pragma once

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QString>
#include <QTest>

namespace l402::test {

// Reads a JSON array from tests/data; fails the calling test (not crash) when it cannot.
inline QJsonArray loadJsonArray(const QString& relativePath)
{
    QFile file(QStringLiteral(L402_TEST_DATA_DIR "/") + relativePath);
    if (!file.open(QIODevice::ReadOnly)) {
        qWarning("cannot open test data %s", qPrintable(file.fileName()));
        return {};
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !document.isArray()) {
        qWarning("test data %s is not a JSON array: %s", qPrintable(file.fileName()),
                 qPrintable(error.errorString()));
        return {};
    }
    return document.array();
}

inline QByteArray fromHex(const QString& hex)
{
    return QByteArray::fromHex(hex.toLatin1());
}

} // namespace l402::test
