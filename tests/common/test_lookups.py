"""`field__any_of`: the same rows as `field__in` on every database, whatever the ids' type."""

from uuid import UUID, uuid4

import pytest

from backend.accounts.models import CareTeam, Patient
from backend.common.any_of_lookup import array_literal
from tests.factories.accounts import activated_patient

pytestmark = pytest.mark.django_db


def test_any_of_matches_in_for_uuid_keys_integer_keys_foreign_keys_and_text() -> None:
    first_team = CareTeam.objects.create(name="Team, with a comma")
    second_team = CareTeam.objects.create(name='Team "quoted" {braces}')
    patients = [activated_patient(care_team=first_team) for _ in range(3)]
    patients.append(activated_patient(care_team=second_team))
    some = {patients[0].pk, patients[2].pk, uuid4()}  # an id that matches nothing

    def ids(queryset) -> set:
        return set(queryset.values_list("pk", flat=True))

    assert ids(Patient.objects.filter(pk__any_of=some)) == {patients[0].pk, patients[2].pk}
    assert ids(Patient.objects.filter(care_team__any_of={second_team.pk})) == {patients[3].pk}
    assert ids(Patient.objects.filter(care_team_id__any_of=[first_team.pk])) == {
        patient.pk for patient in patients[:3]
    }
    names = {first_team.name, second_team.name}
    assert set(CareTeam.objects.filter(name__any_of=names).values_list("name", flat=True)) == names
    assert not Patient.objects.filter(pk__any_of=set()).exists()
    for lookup, value in [("pk", some), ("care_team", {first_team.pk, second_team.pk})]:
        assert ids(Patient.objects.filter(**{f"{lookup}__any_of": value})) == ids(
            Patient.objects.filter(**{f"{lookup}__in": value})
        )


def test_array_literal_only_for_ids_that_need_no_quoting() -> None:
    uuid = UUID("12345678-1234-5678-1234-567812345678")
    assert (
        array_literal([uuid, uuid])
        == "{12345678-1234-5678-1234-567812345678,12345678-1234-5678-1234-567812345678}"
    )
    assert array_literal((1, 22, 333)) == "{1,22,333}"
    assert array_literal(["a,b", 'c"d']) == ["a,b", 'c"d']  # left to the driver to quote
    assert array_literal([True]) == [True]  # bool is not an id
