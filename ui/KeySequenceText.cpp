#include "KeySequenceText.hpp"

#include <QKeySequence>

namespace chronus::editor {

QString KeySequenceText::of(const QVariant& sequence) {
    if (!sequence.isValid() || sequence.isNull())
        return {};
    QKeySequence keys;
    if (sequence.metaType().id() == QMetaType::Int || sequence.metaType().flags().testFlag(QMetaType::IsEnumeration))
        keys = QKeySequence::keyBindings(static_cast<QKeySequence::StandardKey>(sequence.toInt())).value(0);
    else if (sequence.canConvert<QKeySequence>() && sequence.metaType().id() == QMetaType::QKeySequence)
        keys = sequence.value<QKeySequence>();
    else
        keys = QKeySequence::fromString(sequence.toString(), QKeySequence::PortableText);
    return keys.toString(QKeySequence::NativeText);
}

} // namespace chronus::editor
