"""Anonymity keys: HMACs of who someone is, scoped to one poll (facilitation.anonymity)."""

from __future__ import annotations

import hashlib
import hmac
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.anonymity import (
    Person,
    creator_key,
    scoped_key,
    voter_key,
)

SECRET = b"s" * 32
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ALICE = Person(TENANT, "29:1aliceMRI", "aaaaaaaa-0000-4000-8000-000000000001")
BOB = Person(TENANT, "29:1bobMRI", "bbbbbbbb-0000-4000-8000-000000000002")
GUEST = Person(TENANT, "29:1guestMRI")
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def test_voter_key_is_a_sha256_hex_digest() -> None:
    key = voter_key(SECRET, "p1", ALICE)
    assert len(key) == 64
    assert set(key) <= set(string.hexdigits.lower())


def test_voter_key_is_the_same_within_one_poll() -> None:
    assert voter_key(SECRET, "p1", ALICE) == voter_key(SECRET, "p1", ALICE)


def test_voter_keys_differ_across_polls_for_the_same_person() -> None:
    assert voter_key(SECRET, "p1", ALICE) != voter_key(SECRET, "p2", ALICE)


def test_voter_keys_differ_between_people_in_one_poll() -> None:
    assert voter_key(SECRET, "p1", ALICE) != voter_key(SECRET, "p1", BOB)
    assert voter_key(SECRET, "p1", ALICE) != voter_key(SECRET, "p1", GUEST)


def test_voter_and_creator_keys_differ_for_the_same_poll_and_person() -> None:
    assert voter_key(SECRET, "p1", ALICE) != creator_key(SECRET, "p1", ALICE)


def test_creator_key_is_stable_within_a_poll_and_differs_across_polls() -> None:
    assert creator_key(SECRET, "p1", ALICE) == creator_key(SECRET, "p1", ALICE)
    assert creator_key(SECRET, "p1", ALICE) != creator_key(SECRET, "p2", ALICE)


def test_keys_depend_on_the_secret() -> None:
    assert voter_key(SECRET, "p1", ALICE) != voter_key(b"another secret", "p1", ALICE)
    assert creator_key(SECRET, "p1", ALICE) != creator_key(b"another secret", "p1", ALICE)


def test_keys_depend_on_the_tenant() -> None:
    other_tenant = Person("other-tenant", ALICE.user_id, ALICE.aad_object_id)
    assert voter_key(SECRET, "p1", ALICE) != voter_key(SECRET, "p1", other_tenant)


def test_the_entra_id_is_used_when_present() -> None:
    same_person_new_mri = Person(TENANT, "29:1anotherMRI", ALICE.aad_object_id)
    assert ALICE.stable_id == ALICE.aad_object_id
    assert voter_key(SECRET, "p1", ALICE) == voter_key(SECRET, "p1", same_person_new_mri)


def test_the_mri_is_used_without_an_entra_id() -> None:
    assert GUEST.stable_id == "mri:29:1guestMRI"
    assert voter_key(SECRET, "p1", GUEST) != voter_key(SECRET, "p1", Person(TENANT, "29:1other"))


def test_an_empty_entra_id_falls_back_to_the_mri() -> None:
    assert Person(TENANT, "29:1guestMRI", "").stable_id == GUEST.stable_id
    assert voter_key(SECRET, "p1", Person(TENANT, "29:1guestMRI", "")) == \
        voter_key(SECRET, "p1", GUEST)


def test_a_guest_and_a_member_with_the_same_mri_get_different_keys() -> None:
    member = Person(TENANT, GUEST.user_id, "cccccccc-0000-4000-8000-000000000003")
    assert voter_key(SECRET, "p1", member) != voter_key(SECRET, "p1", GUEST)


def test_scoped_key_is_an_hmac_of_scope_tenant_and_stable_id() -> None:
    expected = hmac.new(SECRET, f"poll:p1|{TENANT}|{ALICE.aad_object_id}".encode(),
                        hashlib.sha256).hexdigest()
    assert scoped_key(SECRET, "poll:p1", ALICE) == expected == voter_key(SECRET, "p1", ALICE)


# ---------------------------------------------------------------------------- properties

ids = st.text(alphabet=string.ascii_letters + string.digits + ":-_.", min_size=1, max_size=40)
# Realistic ids: Teams MRIs ("29:1...", "8:orgid:...") and Entra object ids (GUIDs).
mris = st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["29:1", "8:orgid:"]),
                 st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=8,
                         max_size=60))
entra_ids = st.uuids().map(str)
people = st.builds(Person, tenant_id=entra_ids, user_id=mris, aad_object_id=st.none() | entra_ids)
secrets = st.binary(min_size=16, max_size=64)


@PROPERTY
@given(secret=secrets, poll_id=ids, person=people)
def test_keys_never_contain_the_user_id_or_the_entra_id(
        secret: bytes, poll_id: str, person: Person) -> None:
    for key in (voter_key(secret, poll_id, person), creator_key(secret, poll_id, person)):
        assert person.user_id not in key
        assert person.user_id.casefold() not in key
        if person.aad_object_id:
            assert person.aad_object_id not in key
            assert person.aad_object_id.replace("-", "") not in key
        assert person.tenant_id not in key


@PROPERTY
@given(secret=secrets, first=ids, second=ids, person=people)
def test_voter_keys_are_equal_exactly_when_the_poll_is_the_same(
        secret: bytes, first: str, second: str, person: Person) -> None:
    same = voter_key(secret, first, person) == voter_key(secret, second, person)
    assert same == (first == second)


@PROPERTY
@given(secret=secrets, poll_id=ids, one=people, other=people)
def test_voter_keys_differ_between_different_people(
        secret: bytes, poll_id: str, one: Person, other: Person) -> None:
    same_person = (one.tenant_id, one.stable_id) == (other.tenant_id, other.stable_id)
    assert (voter_key(secret, poll_id, one) == voter_key(secret, poll_id, other)) == same_person


@PROPERTY
@given(secret=secrets, first=ids, second=ids, person=people)
def test_a_voter_key_never_equals_a_creator_key(
        secret: bytes, first: str, second: str, person: Person) -> None:
    assert voter_key(secret, first, person) != creator_key(secret, second, person)


@PROPERTY
@given(one=secrets, other=secrets, poll_id=ids, person=people)
def test_voter_keys_change_with_the_secret(
        one: bytes, other: bytes, poll_id: str, person: Person) -> None:
    same = voter_key(one, poll_id, person) == voter_key(other, poll_id, person)
    assert same == (one == other)


@PROPERTY
@given(secret=secrets, poll_id=ids, person=people, mri=mris)
def test_the_mri_only_matters_without_an_entra_id(
        secret: bytes, poll_id: str, person: Person, mri: str) -> None:
    moved = Person(person.tenant_id, mri, person.aad_object_id)
    same = voter_key(secret, poll_id, person) == voter_key(secret, poll_id, moved)
    assert same == (person.aad_object_id is not None or mri == person.user_id)
