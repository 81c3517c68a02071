-- One row per company and period over which everything its ICP fit reads stays the same: each
-- version of the company (staging keeps them all, with their validity) split where a
-- time-dependent criterion changes its answer - the months since the last funding round cross a
-- bound of an `icp_criteria` row on `months_since_last_funding`, and the round itself starts
-- counting on its date. Months are counted as dbt's datediff counts them (month boundaries
-- crossed), so a bound of k months is crossed on the first day of the k-th month after the
-- round's month. The period valid at the end of the as-of day is the company as
-- int_companies_as_of holds it; the others let each past day be scored with its own fit.
with

company_versions as (

    select * from {{ ref('stg_landing__companies') }}
    where
        (valid_from_at is null or valid_from_at < {{ as_of_at() }})
        -- a version followed by another without a date was never valid (see staging)
        and (
            valid_to_at is null
            or valid_to_at > coalesce(valid_from_at, {{ earliest_timestamp() }})
        )

),

funding_changes as (

    {{ funding_changes('company_versions') }}

),

period_starts as (

    select
        company_id,
        version_number,
        valid_from_at as started_at

    from company_versions

    union all

    select
        funding_changes.company_id,
        funding_changes.version_number,
        funding_changes.changed_at as started_at

    from funding_changes
    inner join company_versions
        on
            funding_changes.company_id = company_versions.company_id
            and funding_changes.version_number = company_versions.version_number
    where
        funding_changes.changed_at > coalesce(company_versions.valid_from_at, {{ earliest_timestamp() }})
        and (company_versions.valid_to_at is null or funding_changes.changed_at < company_versions.valid_to_at)
        and funding_changes.changed_at < {{ as_of_at() }}

),

periods as (

    select
        period_starts.company_id,
        period_starts.version_number,
        period_starts.started_at as valid_from_at,
        coalesce(
            lead(period_starts.started_at) over (
                partition by period_starts.company_id, period_starts.version_number
                order by period_starts.started_at nulls first
            ),
            -- a version replaced after the as-of day is still the company on that day
            case when company_versions.valid_to_at < {{ as_of_at() }} then company_versions.valid_to_at end
        ) as valid_to_at

    from period_starts
    inner join company_versions
        on
            period_starts.company_id = company_versions.company_id
            and period_starts.version_number = company_versions.version_number

),

-- the day the months since funding are counted on: the as-of day for the current period, else
-- the period's first day (the answer of every criterion is the same on all its days)
periods_dated as (

    select
        *,
        row_number() over (partition by company_id order by valid_from_at nulls first) as period_number,
        case
            when valid_to_at is null then {{ as_of_date() }}
            when valid_from_at is null then cast({{ dbt.dateadd('day', -1, 'valid_to_at') }} as date)
            else cast(valid_from_at as date)
        end as scored_on

    from periods

),

final as (

    select
        -- ids
        periods_dated.company_id,

        -- strings
        company_versions.industry,
        company_versions.country_code,

        -- numerics
        periods_dated.period_number,
        company_versions.version_number,
        company_versions.employee_count,
        company_versions.annual_revenue_eur,
        company_versions.open_jobs,
        company_versions.headcount_growth_pct,
        case
            when company_versions.last_funding_date <= periods_dated.scored_on
                then {{ dbt.datediff('company_versions.last_funding_date', 'periods_dated.scored_on', 'month') }}
        end as months_since_last_funding,

        -- booleans
        periods_dated.valid_to_at is null as is_current,

        -- dates
        company_versions.last_funding_date,
        periods_dated.scored_on,

        -- timestamps
        periods_dated.valid_from_at,
        periods_dated.valid_to_at

    from periods_dated
    inner join company_versions
        on
            periods_dated.company_id = company_versions.company_id
            and periods_dated.version_number = company_versions.version_number

)

select * from final
