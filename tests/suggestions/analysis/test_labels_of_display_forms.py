from suggestions.analysis import display_form
from suggestions.analysis.ideas import idea_labels
from tests.suggestions.ideas import IDEAS


def test_labels_of_display_forms_read_as_the_labels_of_the_texts_they_came_from():
    texts = {
        f"{idea}-{n}": f"با سلام و احترام\nبه نظر من {body.replace('ی', 'ي')}"
        for idea, bodies in IDEAS.items()
        for n, body in enumerate(bodies)
    }
    members = {idea: [key for key in texts if key.startswith(f"{idea}-")] for idea in IDEAS}
    displays = {key: display_form(text) for key, text in texts.items()}
    labels = idea_labels(members, displays, displayed=True)
    assert labels == idea_labels(members, texts)
    assert all(label and "سلام" not in label for label in labels.values())
