//! Shared sites: networks where many people sign from one address (a hospital's staff Wi-Fi),
//! marked by staff per petition so that the per-network limit does not hold their signers.

use chrono::{DateTime, Utc};
use entity::shared_site;
use ipnet::IpNet;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    TryInsertResult,
};

/// A petition's shared sites, oldest first.
pub async fn of_petition(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<shared_site::Model>, DbErr> {
    shared_site::Entity::find()
        .filter(shared_site::Column::PetitionId.eq(petition_id))
        .order_by_asc(shared_site::Column::Id)
        .all(db)
        .await
}

/// Marks `network` as a shared site of the petition; `false` if it already was.
pub async fn add(
    db: &impl ConnectionTrait,
    petition_id: i64,
    network: IpNet,
    label: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = shared_site::Entity::insert(shared_site::ActiveModel {
        petition_id: Set(petition_id),
        network: Set(network.to_string()),
        label: Set(label.to_owned()),
        added_by: Set(actor.to_owned()),
        added_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([shared_site::Column::PetitionId, shared_site::Column::Network])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(done, TryInsertResult::Inserted(n) if n > 0))
}

/// Removes shared site `id` of the petition; the one removed, if there was one.
pub async fn remove(
    db: &impl ConnectionTrait,
    petition_id: i64,
    id: i64,
) -> Result<Option<shared_site::Model>, DbErr> {
    let Some(site) = shared_site::Entity::find_by_id(id)
        .filter(shared_site::Column::PetitionId.eq(petition_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    shared_site::Entity::delete_by_id(id).exec(db).await?;
    Ok(Some(site))
}

/// The widest ranges a shared site may be: a /16 of IPv4, a /48 of IPv6 (one site's usual
/// allocation; wider would lift the limit for a whole provider's customers).
pub const WIDEST_V4: u8 = 16;
pub const WIDEST_V6: u8 = 48;

/// A shared site's network as typed (`203.0.113.7`, `203.0.113.0/24`, `2001:db8:5::/48`), or
/// what is wrong with it.
pub fn parse_network(typed: &str) -> Result<IpNet, String> {
    let typed = typed.trim();
    let net = typed
        .parse::<IpNet>()
        .ok()
        .or_else(|| typed.parse::<std::net::IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
        .ok_or_else(|| "Type an address (203.0.113.7) or a range (203.0.113.0/24).".to_owned())?;
    // An IPv4 range written as IPv6 (`::ffff:203.0.113.0/120`) is the IPv4 range: clients'
    // addresses are compared in that form.
    let net = match net {
        IpNet::V6(n) => match n.addr().to_ipv4_mapped() {
            Some(v4) if n.prefix_len() >= 96 => ipnet::Ipv4Net::new(v4, n.prefix_len() - 96)
                .map(|n| IpNet::V4(n.trunc()))
                .map_err(|_| "Type an address (203.0.113.7) or a range (203.0.113.0/24).".to_owned())?,
            _ => IpNet::V6(n),
        },
        v4 => v4,
    };
    let too_wide = match net {
        IpNet::V4(n) => n.prefix_len() < WIDEST_V4,
        IpNet::V6(n) => n.prefix_len() < WIDEST_V6,
    };
    if too_wide {
        return Err(format!(
            "That range is too wide: at most a /{WIDEST_V4} for IPv4 or a /{WIDEST_V6} for IPv6 (one site's network, not a provider's)."
        ));
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_as_ranges_and_wide_ones_are_refused() {
        assert_eq!(parse_network(" 203.0.113.7 ").map(|n| n.to_string()), Ok("203.0.113.7/32".into()));
        assert_eq!(parse_network("203.0.113.9/24").map(|n| n.to_string()), Ok("203.0.113.0/24".into()));
        assert_eq!(parse_network("2001:db8:5::1/48").map(|n| n.to_string()), Ok("2001:db8:5::/48".into()));
        assert!(parse_network("2001:db8::/32").is_err(), "a provider's");
        assert_eq!(
            parse_network("::ffff:203.0.113.9/120").map(|n| n.to_string()),
            Ok("203.0.113.0/24".into())
        );
        assert!(parse_network("::ffff:10.0.0.0/104").is_err(), "a /8 written as IPv6");
        assert!(parse_network("10.0.0.0/8").is_err());
        assert!(parse_network("::/0").is_err());
        assert!(parse_network("hospital").is_err());
        assert!(parse_network("").is_err());
    }
}
