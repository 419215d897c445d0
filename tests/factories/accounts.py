from collections.abc import Iterable

import factory

from backend.accounts.models import CareTeam, CareTeamMembership, Patient, User

TEST_PASSWORD = "correct-horse-battery-staple"


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeam
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Care team {n}")


def _save_user(user: User, create: bool, extracted: object, **kwargs: object) -> None:
    """A post_generation hook: factory_boy passes the built User first."""
    if create:
        user.save()


def _join_care_teams(
    user: User, create: bool, extracted: Iterable[CareTeam] | None, **kwargs: object
) -> None:
    """A post_generation hook: StaffFactory(care_teams=[...]) makes the user a member."""
    for team in extracted or []:
        CareTeamMembership.objects.create(care_team=team, user=user)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = "patient"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    _save_password = factory.post_generation(_save_user)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    role = "nurse"

    care_teams = factory.post_generation(_join_care_teams)


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    care_team = factory.SubFactory(CareTeamFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    medical_record_number = factory.Sequence(lambda n: f"MRN-{n:05d}")
    time_zone = "Europe/Madrid"
    language = "en"


def activated_patient(**kwargs: object) -> Patient:
    """A patient who has an account (as after activation)."""
    user = UserFactory(role="patient")
    return PatientFactory.create(user=user, **kwargs)
