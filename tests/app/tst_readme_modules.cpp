// The README's module table against the schema (`chronus ctl schema`, /engine/schema): every module
// type appears once, with exactly its input and output ports and its parameter ids, so the two
// cannot drift apart again.
//
// The table's cells, as the README writes them: backticked ids are what counts; text in
// parentheses is commentary (units, labels, aliases) and is not read, except `alias `x`` in a
// type's cell, which must be a real alias of that type; `a1`…`a4` stands for a1, a2, a3, a4; the
// ports cell is `inputs → outputs` (no arrow: inputs only).

#include "app/OscServer.hpp"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QStringList>
#include <QTest>

#include <map>

namespace {

struct Row {
    int line = 0;
    QStringList types;
    QStringList aliases;
    QSet<QString> inputs, outputs, params;
};

// The text outside parentheses (nested ones too), and the text inside them.
std::pair<QString, QString> splitParentheses(const QString& cell) {
    QString outside, inside;
    int depth = 0;
    for (const QChar c : cell) {
        if (c == '(')
            ++depth;
        else if (c == ')' && depth > 0)
            --depth;
        else
            (depth == 0 ? outside : inside) += c;
    }
    return {outside, inside};
}

// The backticked ids in `text`, with `a1`…`a4` ranges spelled out.
QStringList ids(const QString& text) {
    QStringList out;
    static const QRegularExpression token(QStringLiteral("`([^`]+)`(?:\\s*…\\s*`([^`]+)`)?"));
    static const QRegularExpression numbered(QStringLiteral("^(.*?)(\\d+)$"));
    for (auto it = token.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const QString first = m.captured(1);
        if (m.captured(2).isEmpty()) {
            out << first;
            continue;
        }
        const QRegularExpressionMatch a = numbered.match(first);
        const QRegularExpressionMatch b = numbered.match(m.captured(2));
        if (!a.hasMatch() || !b.hasMatch() || a.captured(1) != b.captured(1)) {
            out << first << m.captured(2); // not a numbered range: two ids, checked as such
            continue;
        }
        for (int n = a.captured(2).toInt(); n <= b.captured(2).toInt(); ++n)
            out << a.captured(1) + QString::number(n);
    }
    return out;
}

QSet<QString> asSet(const QStringList& list) {
    return QSet<QString>(list.begin(), list.end());
}

QString describe(const QSet<QString>& set) {
    QStringList list(set.begin(), set.end());
    list.sort();
    return list.isEmpty() ? QStringLiteral("(none)") : list.join(", ");
}

} // namespace

class TestReadmeModules : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void everyTypeIsDocumentedOnce();
    void portsAndParametersMatchTheSchema();
    void aliasesAreRealAliases();

private:
    std::vector<Row> m_rows;
    std::map<QString, QJsonObject> m_schema; // by type id
    QJsonObject m_aliases;
};

void TestReadmeModules::initTestCase() {
    QFile readme(QStringLiteral(CHRONUS_SOURCE_DIR "/README.md"));
    QVERIFY2(readme.open(QIODevice::ReadOnly), "cannot read README.md");
    const QStringList lines = QString::fromUtf8(readme.readAll()).split('\n');
    const qsizetype begin = lines.indexOf(QStringLiteral("<!-- module-table:begin -->"));
    const qsizetype end = lines.indexOf(QStringLiteral("<!-- module-table:end -->"));
    QVERIFY2(begin >= 0 && end > begin, "README.md has no <!-- module-table:begin/end --> markers");
    for (qsizetype i = begin + 1; i < end; ++i) {
        const QString line = lines[i].trimmed();
        if (!line.startsWith('|') || line.startsWith(QLatin1String("| type")) ||
            line.startsWith(QLatin1String("|---")))
            continue;
        const QStringList cells = line.mid(1, line.size() - 2).split('|');
        QVERIFY2(cells.size() == 3, qPrintable(QStringLiteral("README.md:%1: expected 3 cells").arg(i + 1)));
        Row row;
        row.line = static_cast<int>(i + 1);
        const auto [typesText, typeRemark] = splitParentheses(cells[0]);
        row.types = ids(typesText);
        static const QRegularExpression alias(QStringLiteral("alias `([^`]+)`"));
        for (auto it = alias.globalMatch(typeRemark); it.hasNext();)
            row.aliases << it.next().captured(1);
        const QString ports = splitParentheses(cells[1]).first;
        const qsizetype arrow = ports.indexOf(QStringLiteral("→"));
        row.inputs = asSet(ids(arrow < 0 ? ports : ports.left(arrow)));
        row.outputs = arrow < 0 ? QSet<QString>() : asSet(ids(ports.mid(arrow + 1)));
        row.params = asSet(ids(splitParentheses(cells[2]).first));
        m_rows.push_back(row);
    }
    QVERIFY(!m_rows.empty());

    const QJsonObject schema =
        QJsonDocument::fromJson(QByteArray::fromStdString(chronus::app::schemaJson())).object();
    for (const QJsonValue t : schema.value("types").toArray())
        m_schema[t.toObject().value("type").toString()] = t.toObject();
    m_aliases = schema.value("aliases").toObject();
    QVERIFY(!m_schema.empty());
}

void TestReadmeModules::everyTypeIsDocumentedOnce() {
    std::map<QString, int> seen;
    for (const Row& row : m_rows)
        for (const QString& type : row.types) {
            QVERIFY2(m_schema.count(type),
                     qPrintable(
                         QStringLiteral("README.md:%1: `%2` is not a module type").arg(row.line).arg(type)));
            ++seen[type];
        }
    for (const auto& [type, object] : m_schema) {
        QVERIFY2(seen[type] == 1,
                 qPrintable(QStringLiteral("module type `%1` appears %2 times in README.md's table")
                                .arg(type)
                                .arg(seen[type])));
    }
}

void TestReadmeModules::portsAndParametersMatchTheSchema() {
    const auto idsOf = [](const QJsonArray& array) {
        QSet<QString> out;
        for (const QJsonValue v : array)
            out.insert(v.toObject().value("id").toString());
        return out;
    };
    for (const Row& row : m_rows)
        for (const QString& type : row.types) {
            if (!m_schema.count(type))
                continue; // everyTypeIsDocumentedOnce says so
            const QJsonObject t = m_schema[type];
            const QString where = QStringLiteral("README.md:%1 (%2): ").arg(row.line).arg(type);
            const QSet<QString> inputs = idsOf(t.value("inputs").toArray());
            const QSet<QString> outputs = idsOf(t.value("outputs").toArray());
            const QSet<QString> params =
                idsOf(t.value("params").toArray()) + idsOf(t.value("text_params").toArray());
            QVERIFY2(row.inputs == inputs,
                     qPrintable(where + "inputs " + describe(row.inputs) + ", schema " + describe(inputs)));
            QVERIFY2(row.outputs == outputs, qPrintable(where + "outputs " + describe(row.outputs) +
                                                        ", schema " + describe(outputs)));
            QVERIFY2(row.params == params, qPrintable(where + "parameters " + describe(row.params) +
                                                      ", schema " + describe(params)));
        }
}

void TestReadmeModules::aliasesAreRealAliases() {
    int documented = 0;
    for (const Row& row : m_rows)
        for (const QString& alias : row.aliases) {
            ++documented;
            QVERIFY2(row.types.contains(m_aliases.value(alias).toString()),
                     qPrintable(QStringLiteral("README.md:%1: `%2` is not an alias of %3")
                                    .arg(row.line)
                                    .arg(alias, row.types.join(", "))));
        }
    QCOMPARE(documented, static_cast<int>(m_aliases.size())); // every alias is in the table
}

QTEST_GUILESS_MAIN(TestReadmeModules)
#include "tst_readme_modules.moc"
